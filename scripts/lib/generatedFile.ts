import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The main of a script that generates a committed file: writes `text` to `path`, or with `--check` exits 1 when the
 * committed file differs from what the generator makes now.
 */
export function writeOrCheck(path: string, text: string, what: string): void {
  if (process.argv.includes('--check')) {
    const same = readFileSync(path, 'utf8') === text;
    console.log(same ? `${path} is up to date` : `${path} differs from the generator's output`);
    process.exit(same ? 0 : 1);
  }
  writeFileSync(path, text);
  console.log(`wrote ${what} to ${path}`);
}
