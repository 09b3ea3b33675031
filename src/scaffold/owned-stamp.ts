import { createHash } from 'node:crypto';
import { extname, basename } from 'node:path';

/**
 * The last line of every msx-owned file that can carry a comment: a hash of
 * everything above it. With it, `msx upgrade` tells a file exactly as msx
 * wrote it (safe to replace) from one a user edited (never replaced
 * silently), in any clone of the system, with no record kept elsewhere.
 * JSON has no comments: an owned JSON file is recognised by its whole
 * content instead (see src/upgrade/owned-file-state.ts).
 */
const STAMP = /\n(?:\/\/|#) msx-owned sha256:([0-9a-f]{16})[^\n]*\n?$/;

type CommentStyle = '//' | '#' | undefined;

function commentStyle(path: string): CommentStyle {
  const name = basename(path);
  if (name.startsWith('Dockerfile') || name.endsWith('.Dockerfile')) return '#';
  switch (extname(name)) {
    case '.ts': case '.mts': case '.js': case '.mjs': return '//';
    case '.yaml': case '.yml': case '.sh': return '#';
    default: return undefined;
  }
}

function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** Whether files at this path carry a stamp. */
export function isStampable(path: string): boolean {
  return commentStyle(path) !== undefined;
}

/** The content with its stamp line appended (unchanged for files that cannot carry one). */
export function stampOwnedContent(path: string, content: string): string {
  const style = commentStyle(path);
  if (style === undefined) return content;
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return `${body}${style} msx-owned sha256:${bodyHash(body)} (msx rewrites this file; put changes in msx.yaml, or list the file under keep: there)\n`;
}

export type StampCheck = 'intact' | 'edited' | 'unstamped';

/** `intact`: exactly as msx wrote it; `edited`: changed since; `unstamped`: no stamp (written by an msx before 0.2, or by hand). */
export function checkStamp(content: string): StampCheck {
  const match = STAMP.exec(content);
  if (!match) return 'unstamped';
  const body = content.slice(0, match.index + 1);
  return bodyHash(body) === match[1] ? 'intact' : 'edited';
}
