import type { ModelIdentity } from '../../worker/api';

/** The embedded default: a tiny Llama-shaped model our own GGUF writer produced (scripts/prepare-lab.sh). */
export const BUNDLED_MODEL_NAME = 'tiny-llama.gguf';

export async function fetchBundledModel(): Promise<File> {
  const response = await fetch(`/models/${BUNDLED_MODEL_NAME}`);
  if (!response.ok) throw new Error(`the bundled model is missing (HTTP ${response.status}); start the lab with npm run lab`);
  return new File([await response.blob()], BUNDLED_MODEL_NAME);
}

/**
 * The engine's rule (src/worker/modelIdentity.ts): everything in the identity but the file name (size and content
 * fingerprint) decides, so a renamed copy is the same model.
 */
export function sameModel(a: ModelIdentity, b: ModelIdentity): boolean {
  const content = (m: ModelIdentity) => JSON.stringify(Object.entries(m).filter(([key]) => key !== 'fileName').sort(([x], [y]) => x.localeCompare(y)));
  return content(a) === content(b);
}
