/**
 * How numbers about labels are shown to people, one formatter per number, shared by every side (the engine's issue
 * messages, diagnostics, the issues document and its hover, the HTML report, the webview).
 */

/**
 * Highest P(label wrong) shown as a number; at or above it the text is "≥95%". On the benches, images with
 * p ≥ 0.9 were truly mislabelled 84% of the time (bench/RESULTS.md, reliability table), so "100%" or "99%"
 * would overstate what the analysis knows. The CSV/JSON reports keep the raw value.
 */
export const SHOWN_P_LABEL_WRONG_CAP = 0.95;

/**
 * P(label wrong) of one image for people: 0.42 → "42%", 0.998 → "≥95%" (and anything that would round to the cap,
 * so "95%" never appears next to "≥95%"), not a finite number → "?".
 */
export function formatPLabelWrong(p: number | undefined): string {
  if (typeof p !== 'number' || !Number.isFinite(p)) return '?';
  const cap = Math.round(SHOWN_P_LABEL_WRONG_CAP * 100);
  const shown = Math.round(Math.min(1, Math.max(0, p)) * 100);
  return shown >= cap ? `≥${cap}%` : `${shown}%`;
}
