import type { KeptModel, ModelIdentity } from '../../worker/api';

/**
 * The embedded default: a small Llama pretrained on arithmetic (models/tiny-math.gguf and its recipe), served
 * by the lab from public/models/ (scripts/prepare-lab.sh puts it there).
 */
export const BUNDLED_MODEL_NAME = 'tiny-math.gguf';

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
  const content = (m: ModelIdentity) =>
    JSON.stringify(
      Object.entries(m)
        .filter(([key]) => key !== 'fileName')
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return content(a) === content(b);
}

/** Where the base model a run needs comes from: already loaded, a copy kept in the browser, the bundled file, or nowhere here. */
export type ModelSource = { kind: 'loaded' } | { kind: 'kept'; name: string } | { kind: 'bundled' } | { kind: 'missing' };

export function modelSourceFor(wanted: ModelIdentity, loaded: ModelIdentity | undefined, kept: readonly KeptModel[]): ModelSource {
  if (loaded && sameModel(loaded, wanted)) return { kind: 'loaded' };
  const copy = kept.find((k) => sameModel(k.identity, wanted));
  if (copy) return { kind: 'kept', name: copy.name };
  // The bundled file is generated from a fixed seed, so its name stands for its content; the engine still checks.
  if (wanted.fileName === BUNDLED_MODEL_NAME) return { kind: 'bundled' };
  return { kind: 'missing' };
}
