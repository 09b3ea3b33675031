import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colour for everything msx prints. `NO_COLOR` (https://no-color.org) turns it
 * off whatever the terminal supports; `FORCE_COLOR` is honoured by chalk.
 */
function detectLevel(stream: NodeJS.WriteStream): 0 | 1 | 2 | 3 {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return 0;
  const forced = process.env.FORCE_COLOR;
  if (forced !== undefined) return forced === '0' || forced === 'false' ? 0 : 1;
  if (!stream.isTTY || process.env.TERM === 'dumb') return 0;
  const depth = stream.getColorDepth?.() ?? 1;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : depth >= 4 ? 1 : 0;
}

export const colour: ChalkInstance = new Chalk({ level: detectLevel(process.stdout) });
export const errColour: ChalkInstance = new Chalk({ level: detectLevel(process.stderr) });
