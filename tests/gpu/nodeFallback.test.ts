import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SWIFTSHADER_ICD } from '../../src/gpu/node';
import { REPO_ROOT } from '../sharedData';

/**
 * Dawn reads VK_ICD_FILENAMES once per instance, and this test process already holds one on SwiftShader: each case
 * runs the command line in a fresh process with the Vulkan drivers it should find.
 */
function runGpuCommand(env: Record<string, string | undefined>, args: string[] = []): Promise<{ code: number; out: string; err: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'lora-lab.js'), 'gpu', '--json', ...args], { env: childEnv }, (error, out, err) => {
      resolve({ code: error ? Number(error.code) : 0, out, err });
    });
  });
}

/** A Vulkan driver Dawn rejects, as it rejects Mesa's lavapipe: the Vulkan mock ICD that chromium ships. */
function rejectedDriverIcd(): string {
  const library = join(SWIFTSHADER_ICD, '..', 'libVkICD_mock_icd.so');
  if (!existsSync(library)) throw new Error(`test driver missing: ${library} (Debian's chromium ships it beside SwiftShader)`);
  const icd = join(mkdtempSync(join(tmpdir(), 'lora-lab-icd-')), 'mock_icd.json');
  writeFileSync(icd, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.0.5' } }));
  return icd;
}

const FALLBACK_NOTICE = /lora-lab: no WebGPU adapter from VK_ICD_FILENAMES=.*; running on SwiftShader/;

describe('lora-lab on a machine without a usable GPU driver', () => {
  it('falls back to SwiftShader when no Vulkan driver is found, and says so on stderr', async () => {
    const run = await runGpuCommand({ VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).adapter.description).toMatch(/SwiftShader/);
    expect(run.err).toMatch(FALLBACK_NOTICE);
  });

  it('falls back to SwiftShader when the only driver is one Dawn rejects', async () => {
    const run = await runGpuCommand({ VK_ICD_FILENAMES: rejectedDriverIcd() });
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).adapter.description).toMatch(/SwiftShader/);
    expect(run.err).toMatch(FALLBACK_NOTICE);
  });

  it('gives terminal advice, not browser advice, when SwiftShader is missing too', async () => {
    const run = await runGpuCommand({
      VK_ICD_FILENAMES: '/nonexistent/icd.json',
      LORA_LAB_SWIFTSHADER_ICD: '/nonexistent/swiftshader.json',
    });
    expect(run.code).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toMatch(
      /lora-lab gpu: .*no WebGPU adapter from VK_ICD_FILENAMES=\/nonexistent\/icd\.json; SwiftShader is not installed at \/nonexistent\/swiftshader\.json/,
    );
    expect(run.err).toMatch(/Vulkan driver.*vulkaninfo.*chromium/);
    expect(run.err).not.toMatch(/chrome:\/\//);
  });

  it('--software goes straight to SwiftShader without a notice', async () => {
    const run = await runGpuCommand({ VK_ICD_FILENAMES: undefined }, ['--software']);
    expect(run.code, run.err).toBe(0);
    expect(JSON.parse(run.out).adapter.description).toMatch(/SwiftShader/);
    expect(run.err).not.toMatch(/no WebGPU adapter/);
  });
});
