#!/usr/bin/env -S node --initial-old-space-size=256
// --initial-old-space-size=256 (also in `npm start`): a node under load keeps ~45 MB of live heap, and
// V8's default limit sits so close above it that a full mark-compact ran about twice a second per process
// (docs/exchange.md "Figures", fourth round); 256 MB of first limit costs ~45 MB of RSS and saves ~8 % of CPU.
// Runs the TypeScript sources directly (tsx), so `npx edoc-node …` works right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
