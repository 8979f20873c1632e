import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SWIFTSHADER_ICD } from '../../src/gpu/node';
import type { PeerResult } from '../harness';
import type { SpeedStep } from '../modelInputs';
import type { LlamaCppBackend, LlamaCppSpeed } from './llamaCpp';

/**
 * llama.cpp measured in a child process (bench/peers/llamaCpp.ts), so that a backend which refuses the device or
 * crashes (llama.cpp's Vulkan build on SwiftShader does both) costs one row its value, not the whole run, and the
 * row can say why in llama.cpp's own words.
 */
export type LlamaCppOutcome = {
  backend: LlamaCppBackend;
  /** The device the child named once its backend was up; empty when it ended before that. */
  device: string;
} & ({ speed: LlamaCppSpeed } | { reason: string });

const SCRIPT = fileURLToPath(new URL('./llamaCpp.ts', import.meta.url));
const CHILD_TIMEOUT_MS = 15 * 60_000;
const REASON_MAX_CHARS = 400;

/**
 * The environment for the Vulkan child: llama.cpp on the device our engine ran on. Where that was SwiftShader,
 * its Vulkan driver is the only one the child sees, and GGML_VK_VISIBLE_DEVICES names it because ggml-vulkan
 * otherwise passes over CPU-type devices. Elsewhere the child keeps the system's drivers and ggml-vulkan's choice.
 */
export function vulkanEnvironment(oursOnSwiftShader: boolean, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return oursOnSwiftShader ? { ...env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, GGML_VK_VISIBLE_DEVICES: '0' } : env;
}

/**
 * Why the child gave no speed: its own error, then every other line it wrote (llama.cpp's errors, which it prints
 * itself and which node-llama-cpp relays with a prefix), then how it ended. Node's own warnings are left out.
 */
export function childFailureReason(
  ownError: string | undefined,
  output: string,
  exit: { code: number | null; signal: NodeJS.Signals | null; timedOutSeconds?: number },
): string {
  const said = output
    .split('\n')
    .map((line) => line.replace(/^\[node-llama-cpp\]\s*/, '').trim())
    .filter((line) => line && !/^\(node:\d+\)|^\(Use `node --trace/.test(line));
  const parts = [...new Set([...(ownError ? [ownError] : []), ...said])];
  const ending =
    exit.timedOutSeconds !== undefined
      ? `no result within ${exit.timedOutSeconds} s`
      : exit.signal
        ? `the process died of ${exit.signal}`
        : exit.code
          ? `exit code ${exit.code}`
          : '';
  const text = `${parts.join('; ') || 'no output'}${ending ? ` (${ending})` : ''}`;
  return text.length > REASON_MAX_CHARS ? `${text.slice(0, REASON_MAX_CHARS - 1)}…` : text;
}

/** The child's result for one step: its tokens/s, or the reason it has none. */
export function llamaCppResult(outcome: LlamaCppOutcome, step: SpeedStep): PeerResult {
  if ('reason' in outcome) return { reason: outcome.reason };
  return { value: step === 'prefill' ? outcome.speed.prefillTokensPerSecond : outcome.speed.decodeTokensPerSecond };
}

export function llamaCppPeerName(outcome: LlamaCppOutcome): string {
  return `llama.cpp ${outcome.backend}${outcome.device ? ` (${outcome.device})` : ''}`;
}

export function measureLlamaCppInChild(
  modelPath: string,
  backend: LlamaCppBackend,
  counts: { prefillTokens: number; decodeTokens: number },
  env: NodeJS.ProcessEnv,
): Promise<LlamaCppOutcome> {
  const args = ['--import', 'tsx', SCRIPT, '--model', modelPath, '--backend', backend];
  args.push('--prompt-tokens', String(counts.prefillTokens), '--decode-tokens', String(counts.decodeTokens));
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, CHILD_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let device = '';
      let speed: LlamaCppSpeed | undefined;
      let ownError: string | undefined;
      const otherLines: string[] = [];
      for (const line of stdout.split('\n')) {
        const message = parseJsonLine(line);
        if (message && typeof message.device === 'string') device = message.device;
        if (message && typeof message.decodeTokensPerSecond === 'number') speed = message as unknown as LlamaCppSpeed;
        else if (message && typeof message.error === 'string') ownError = message.error;
        else if (!message) otherLines.push(line);
      }
      if (speed && code === 0) resolve({ backend, device, speed });
      else {
        const output = [...otherLines, stderr].join('\n');
        const exit = { code, signal, ...(timedOut ? { timedOutSeconds: CHILD_TIMEOUT_MS / 1000 } : {}) };
        resolve({ backend, device, reason: childFailureReason(ownError, output, exit) });
      }
    });
  });
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
