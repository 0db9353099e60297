/**
 * Class colours for the cluster map and legends. VS Code's theme gives six chart colours
 * (`--vscode-charts-*`), too few for datasets, so K colours are spread over the hue circle with a
 * lightness that suits the theme (lighter on dark backgrounds). Pure.
 */

export type ThemeKind = 'dark' | 'light' | 'high-contrast' | 'high-contrast-light';

/** Body classes VS Code sets on webviews. */
export function themeKindOf(bodyClass: string): ThemeKind {
  const c = ` ${bodyClass} `;
  if (c.includes(' vscode-high-contrast-light ')) return 'high-contrast-light';
  if (c.includes(' vscode-high-contrast ')) return 'high-contrast';
  if (c.includes(' vscode-light ')) return 'light';
  return 'dark';
}

export function isDarkKind(k: ThemeKind): boolean {
  return k === 'dark' || k === 'high-contrast';
}

/** Golden angle: successive hues never cluster, whatever K is. */
const GOLDEN_ANGLE = 137.508;

export function classColours(k: number, kind: ThemeKind): string[] {
  const dark = isDarkKind(kind);
  const out: string[] = [];
  for (let i = 0; i < k; i++) {
    // Evenly spaced for small K (maximally distinct), golden-angle beyond 12 with alternating lightness.
    const hue = k <= 12 ? (205 + (i * 360) / k) % 360 : (205 + i * GOLDEN_ANGLE) % 360;
    const band = k <= 12 ? 0 : (i % 3) - 1;
    const light = (dark ? 64 : 44) + band * 8;
    const sat = kind === 'high-contrast' || kind === 'high-contrast-light' ? 90 : 68;
    out.push(`hsl(${hue.toFixed(1)} ${sat}% ${light}%)`);
  }
  return out;
}
