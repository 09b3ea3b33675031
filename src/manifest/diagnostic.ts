import { closest, distance } from 'fastest-levenshtein';

/** One thing wrong with msx.yaml, located by its path of keys. */
export interface Diagnostic {
  /** Keys and indexes from the document root, e.g. ['services', 'users', 'port']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly hint?: string;
  /**
   * When the problem is a key itself (unknown key), point at the key rather
   * than its value.
   */
  readonly atKey?: boolean;
  /**
   * A warning is printed but stops nothing and leaves the exit code alone:
   * the manifest is valid, yet probably not what was meant.
   */
  readonly severity?: 'warning';
}

/** Where a diagnostic points in the file. 1-based, as editors show them. */
export interface Located extends Diagnostic {
  readonly line: number;
  readonly column: number;
}

export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}

/** "did you mean …" for a mistyped key, when one known key is close enough. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, [...candidates]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(word.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}
