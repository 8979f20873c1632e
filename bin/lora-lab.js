#!/usr/bin/env node
// The `lora-lab` command: runs the TypeScript engine in Node through tsx, on Dawn's WebGPU.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
// Dawn keeps handles open; exit once stdout has drained.
process.stdout.write('', () => process.exit(code));
