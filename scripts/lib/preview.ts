import { preview, type PreviewServer } from 'vite';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Serves the built app (dist/) on 127.0.0.1 at a free port, as `npm run lab` does. */
export async function servePreview(): Promise<{ url: string; close: () => Promise<void> }> {
  if (!existsSync(`${ROOT}/dist/index.html`)) throw new Error('dist/ is missing: run `vite build` first');
  const server: PreviewServer = await preview({ root: ROOT, logLevel: 'warn', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('preview server has no TCP address');
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}
