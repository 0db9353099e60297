/**
 * Dataset inventory types: what the scanner found on disk, before any analysis.
 * Shared by the engine, the CLI, the language server, the extension and the webview.
 */

/** A dataset split, taken from a `train/ val/ valid/ test/` folder level (or a CSV `split` column). */
export type Split = 'train' | 'val' | 'test';

/** How labels are given. */
export type DatasetLayout = 'imagefolder' | 'csv';

/** One labelled image file found by the scanner. */
export interface DatasetItem {
  /** Path relative to the dataset root, always with `/` separators. */
  readonly path: string;
  /** Absolute path on disk (platform separators). */
  readonly absPath: string;
  /** The given label (class name). */
  readonly label: string;
  /** Split the file belongs to, or null when the dataset has no split level. */
  readonly split: Split | null;
  /** File size in bytes. */
  readonly size: number;
  /** Modification time in ms since the epoch. */
  readonly mtimeMs: number;
  /** For CSV datasets: the 1-based line of the CSV row that gives this label. */
  readonly csvLine?: number;
}

/** Kinds of problem the scanner reports without aborting. */
export type ScanProblemKind =
  | 'zero-byte'
  | 'unreadable'
  | 'symlink-loop'
  | 'small-class'
  | 'empty-class'
  | 'missing-file'
  | 'outside-root'
  | 'duplicate-row'
  | 'bad-csv-row'
  | 'not-an-image'
  /** A link (or second name) for a file or folder already scanned under another name: counted once. */
  | 'same-file'
  /** A file name that is not valid UTF-8: it cannot be named without being confused with another, so it is skipped. */
  | 'bad-name';

/** A problem found while scanning; the file (or row) is left out and the scan goes on. */
export interface ScanProblem {
  /** Path relative to the dataset root (or the CSV path for row problems). */
  readonly path: string;
  readonly kind: ScanProblemKind;
  /** A human-readable sentence naming the file and the problem. */
  readonly message: string;
  /** For CSV row problems: the 1-based line of the row in the CSV (optional, added by the scanner). */
  readonly line?: number;
}

/** The result of scanning a dataset folder. */
export interface Inventory {
  /** Absolute path of the dataset root. */
  readonly root: string;
  readonly layout: DatasetLayout;
  /** For CSV datasets: absolute path of the labels CSV. */
  readonly csvPath?: string;
  /** Class names, sorted (code-point order), including classes left with < 2 images. */
  readonly classes: readonly string[];
  /** The usable image files, sorted by `path`. */
  readonly items: readonly DatasetItem[];
  readonly problems: readonly ScanProblem[];
  /** Sentences about things skipped on purpose (not errors), e.g. truncation by `maxImages`. Optional. */
  readonly notes?: readonly string[];
  /** How many files without an image extension were skipped while walking folders. Optional. */
  readonly nonImageFiles?: number;
}
