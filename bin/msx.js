#!/usr/bin/env node
import { handleOutputError, main } from '../dist/cli.js';

// `msx ... | head` closes our stdout early: that is the reader's choice, not an error.
// msx exits, unless a command that owns processes (foreground up) must stop them first.
for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]]) {
  stream.on('error', (error) => {
    if (!handleOutputError(name, error)) throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
