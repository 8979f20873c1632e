import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, and `../shared/data` beside it (where CI lays the real public test data). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SHARED_DATA = join(REPO_ROOT, '..', 'shared', 'data');

/** Path of a file under ../shared/data; throws (so the test fails, never skips) when it is missing. */
export function sharedData(...parts: string[]): string {
  const path = join(SHARED_DATA, ...parts);
  if (!existsSync(path)) throw new Error(`test data missing: ${path} (expected ../shared/data beside the repository)`);
  return path;
}
