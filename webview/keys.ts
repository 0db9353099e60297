/**
 * Keyboard review in the image grid, as a pure function from a key press to an action:
 *   arrows move, Home/End jump; 1–9 (and 0 for the 10th) relabel to that class; letters type the
 *   first letters of a class name and relabel as soon as exactly one class matches (`tr` → trouser,
 *   `ts` → tshirt_top); Enter accepts the suggestion; `c` marks correct; `u` undoes.
 * Ctrl/Cmd+Z and Ctrl/Cmd+Shift+Z are left to VS Code, whose keybindings run `LabelLint: Undo` / `Redo`
 * while the report is the active panel (handling them here too would undo twice: VS Code forwards every
 * key press in a webview to its keybinding service).
 * `c` and `u` are commands only as the first letter typed, so classes starting with them are reached
 * by digit or by the menu. The typed prefix is forgotten after `TYPE_AHEAD_MS` without a key.
 */

export const TYPE_AHEAD_MS = 1000;
/** Letters that are commands when nothing is typed yet. */
export const RESERVED_FIRST_LETTERS: ReadonlySet<string> = new Set(['c', 'u']);

export interface KeyInput {
  readonly key: string;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
}

export interface TypeAhead {
  readonly buffer: string;
  /** Time of the last typed letter (ms). */
  readonly at: number;
}

export const NO_TYPE_AHEAD: TypeAhead = { buffer: '', at: 0 };

export type KeyAction =
  | { readonly kind: 'move'; readonly delta: number }
  | { readonly kind: 'moveTo'; readonly index: 'first' | 'last' }
  | { readonly kind: 'relabel'; readonly label: string }
  | { readonly kind: 'accept' }
  | { readonly kind: 'correct' }
  | { readonly kind: 'undo' }
  | { readonly kind: 'typing'; readonly prefix: string; readonly candidates: readonly string[] }
  | { readonly kind: 'none' };

export interface KeyOutcome {
  readonly action: KeyAction;
  readonly typeAhead: TypeAhead;
  /** True when the page should preventDefault (the key was ours). */
  readonly handled: boolean;
}

const none = (t: TypeAhead, handled = false): KeyOutcome => ({ action: { kind: 'none' }, typeAhead: t, handled });

export function keyAction(input: KeyInput, classes: readonly string[], columns: number, state: TypeAhead, now: number): KeyOutcome {
  const t = now - state.at > TYPE_AHEAD_MS ? NO_TYPE_AHEAD : state;
  const mod = !!(input.ctrlKey || input.metaKey);
  if (mod || input.altKey) return none(t);
  const cols = Math.max(1, Math.floor(columns));
  switch (input.key) {
    case 'ArrowLeft':
      return { action: { kind: 'move', delta: -1 }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'ArrowRight':
      return { action: { kind: 'move', delta: 1 }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'ArrowUp':
      return { action: { kind: 'move', delta: -cols }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'ArrowDown':
      return { action: { kind: 'move', delta: cols }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'Home':
      return { action: { kind: 'moveTo', index: 'first' }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'End':
      return { action: { kind: 'moveTo', index: 'last' }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'Enter':
      return { action: { kind: 'accept' }, typeAhead: NO_TYPE_AHEAD, handled: true };
    case 'Escape':
      return none(NO_TYPE_AHEAD, t.buffer !== '');
  }
  if (/^[0-9]$/.test(input.key)) {
    const d = Number(input.key);
    const label = classes[d === 0 ? 9 : d - 1];
    return label === undefined ? none(NO_TYPE_AHEAD, true) : { action: { kind: 'relabel', label }, typeAhead: NO_TYPE_AHEAD, handled: true };
  }
  if (input.key.length !== 1 || !/\p{L}|[_\-.]/u.test(input.key)) return none(t);
  const ch = input.key.toLowerCase();
  if (t.buffer === '' && RESERVED_FIRST_LETTERS.has(ch)) {
    return { action: { kind: ch === 'c' ? 'correct' : 'undo' }, typeAhead: NO_TYPE_AHEAD, handled: true };
  }
  const prefix = t.buffer + ch;
  const candidates = classes.filter((c) => c.toLowerCase().startsWith(prefix));
  if (candidates.length === 1) return { action: { kind: 'relabel', label: candidates[0] }, typeAhead: NO_TYPE_AHEAD, handled: true };
  if (candidates.length === 0) return none(NO_TYPE_AHEAD, true);
  return { action: { kind: 'typing', prefix, candidates }, typeAhead: { buffer: prefix, at: now }, handled: true };
}

/**
 * The shortest key sequence that relabels to each class: its digit (first ten classes) and/or its
 * shortest unique prefix (none when the class starts with a reserved letter or is a prefix of another).
 */
export function shortcutHints(classes: readonly string[]): { readonly label: string; readonly digit?: string; readonly letters?: string }[] {
  const lower = classes.map((c) => c.toLowerCase());
  return classes.map((label, i) => {
    const digit = i < 9 ? String(i + 1) : i === 9 ? '0' : undefined;
    let letters: string | undefined;
    if (!RESERVED_FIRST_LETTERS.has(lower[i][0] ?? '') && /^(\p{L}|[_\-.])/u.test(lower[i])) {
      for (let n = 1; n <= lower[i].length; n++) {
        const p = lower[i].slice(0, n);
        if (!/^(\p{L}|[_\-.])+$/u.test(p)) break;
        if (lower.filter((c) => c.startsWith(p)).length === 1) {
          letters = p;
          break;
        }
      }
    }
    return { label, digit, letters };
  });
}
