import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// WebGPU on (SwiftShader where there is no GPU); everything that would reach the network off.
const FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--disable-quic',
];

function executable(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
  }
  return CHROMIUM_PATH;
}

/** Headless Debian Chromium with WebGPU; playwright gives it a fresh temporary profile. Never downloads a browser. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: executable(), headless: true, args: FLAGS });
}

/**
 * The same, with its profile in `userDataDir`: storage as a user's browser keeps it, on disk. The pages of
 * `launchChromium`'s browser are in off-the-record contexts, whose origin-private file system is held in the
 * browser process's memory and reached over IPC for every sync-access read and write.
 */
export async function launchChromiumWithProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: executable(),
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
  });
}
