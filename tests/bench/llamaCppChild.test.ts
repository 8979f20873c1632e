import { describe, expect, it } from 'vitest';
import { childFailureReason, measureLlamaCppInChild, vulkanEnvironment } from '../../bench/peers/llamaCppChild';
import { SWIFTSHADER_ICD } from '../../src/gpu/node';
import { sharedData } from '../sharedData';

const STORIES = sharedData('tiny-models', 'stories260K.gguf');
const COUNTS = { prefillTokens: 8, decodeTokens: 4 };

describe('llama.cpp in a child process', () => {
  it("states llama.cpp's own lines and how the child ended, without Node's warnings", () => {
    const stderr = [
      '(node:123) ExperimentalWarning: something',
      'ggml_vulkan: device Vulkan0 does not support 16-bit storage.',
      '[node-llama-cpp] llama_model_load: error loading model: Unsupported device',
      '',
    ].join('\n');
    expect(childFailureReason(undefined, stderr, { code: null, signal: 'SIGSEGV' })).toBe(
      'ggml_vulkan: device Vulkan0 does not support 16-bit storage.; llama_model_load: error loading model: Unsupported device (the process died of SIGSEGV)',
    );
    expect(childFailureReason('NoBinaryFoundError', 'no binary\n', { code: 1, signal: null })).toBe(
      'NoBinaryFoundError; no binary (exit code 1)',
    );
    expect(childFailureReason(undefined, '', { code: null, signal: 'SIGKILL', timedOutSeconds: 900 })).toBe(
      'no output (no result within 900 s)',
    );
  });

  it('shows the Vulkan child SwiftShader only where ours ran on it', () => {
    const env = { PATH: '/bin', VK_ICD_FILENAMES: '/etc/vulkan/icd.d/gpu.json' };
    expect(vulkanEnvironment(true, env)).toEqual({ PATH: '/bin', VK_ICD_FILENAMES: SWIFTSHADER_ICD, GGML_VK_VISIBLE_DEVICES: '0' });
    expect(vulkanEnvironment(false, env)).toBe(env);
  });

  it('measures the CPU backend on stories260K', async () => {
    const outcome = await measureLlamaCppInChild(STORIES, 'cpu', COUNTS, process.env);
    expect(outcome).toMatchObject({ backend: 'cpu', device: 'CPU, 2 threads' });
    if (!('speed' in outcome)) throw new Error(`no speed: ${outcome.reason}`);
    expect(outcome.speed).toMatchObject({ promptTokens: 8, decodeTokens: 4 });
    expect(outcome.speed.decodeTokensPerSecond).toBeGreaterThan(0);
  });

  it("gives the Vulkan backend's refusal of SwiftShader in llama.cpp's words", async () => {
    const outcome = await measureLlamaCppInChild(STORIES, 'vulkan', COUNTS, vulkanEnvironment(true, process.env));
    expect(outcome).toMatchObject({ backend: 'vulkan', device: 'SwiftShader Device (Subzero)' });
    // llama.cpp's "Unsupported device" comes through node-llama-cpp's logger, which the crash may cut off; the
    // cause, written by ggml-vulkan itself, always arrives.
    expect('reason' in outcome && outcome.reason).toMatch(/^ggml_vulkan: device Vulkan0 does not support 16-bit storage\./);
  });
});
