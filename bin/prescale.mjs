#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli/index.ts) through tsx, so `npx prescale ...` works from the repo
// without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
