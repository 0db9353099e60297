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

/**
 * Kelly's 20 colours of maximum contrast (without white and black), in his order: the first K are as
 * distinct as K colours get. Lightness is clamped per theme so every one shows on the background.
 */
export const KELLY_20 = [
  '#F3C300', '#875692', '#F38400', '#A1CAF1', '#BE0032', '#C2B280', '#848482', '#008856', '#E68FAC', '#0067A5',
  '#F99379', '#604E97', '#F6A600', '#B3446C', '#DCD300', '#882D17', '#8DB600', '#654522', '#E25822', '#2B3D26',
] as const;

/** Hue (deg), saturation and lightness (%) of a #RRGGBB colour. */
export function hexToHsl(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  const r = ((n >> 16) & 255) / 255;
  const g = ((n >> 8) & 255) / 255;
  const b = (n & 255) / 255;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l * 100];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const hue = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [hue * 60, s * 100, l * 100];
}

/** Up to 20 classes get Kelly's colours; more are spread over the hue circle. Never the focus/selection style. */
export function classColours(k: number, kind: ThemeKind): string[] {
  const dark = isDarkKind(kind);
  if (k <= KELLY_20.length) {
    return KELLY_20.slice(0, k).map((hex) => {
      const [hue, sat, light] = hexToHsl(hex);
      const l = dark ? Math.min(78, Math.max(48, light + 8)) : Math.min(58, Math.max(28, light - 6));
      return `hsl(${hue.toFixed(1)} ${Math.max(25, sat).toFixed(0)}% ${l.toFixed(0)}%)`;
    });
  }
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
