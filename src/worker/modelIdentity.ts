import { LabError } from '../errors';

/**
 * Which base model a run or adapter belongs to. The name and size alone would accept a different model saved
 * under the same name; the header (metadata, vocabulary, tensor table) differs between models and costs only
 * megabytes to hash, where the tensor data would cost gigabytes.
 */
export interface ModelIdentity {
  fileName: string;
  fileBytes: number;
  /** SHA-256 of the GGUF header, everything before the tensor data, as hex. */
  headerSha256: string;
}

export async function modelIdentity(file: Blob, fileName: string, dataOffset: number): Promise<ModelIdentity> {
  const header = await file.slice(0, dataOffset).arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', header));
  const headerSha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { fileName, fileBytes: file.size, headerSha256 };
}

/** Same model: the header hash decides (a renamed copy of the file is still the same model). */
export function sameModel(a: ModelIdentity, b: ModelIdentity): boolean {
  return a.headerSha256 === b.headerSha256 && a.fileBytes === b.fileBytes;
}

export function describeModel(m: ModelIdentity): string {
  return `"${m.fileName}" (${m.fileBytes.toLocaleString('en-US')} bytes, header ${m.headerSha256.slice(0, 12)})`;
}

/** Refuses work that needs `wanted` when `loaded` is another model, saying which file to load. */
export function requireModel(loaded: ModelIdentity | undefined, wanted: ModelIdentity, where: string): void {
  if (!loaded) throw new LabError(`no model is loaded; this needs ${describeModel(wanted)}`, where, `Load ${wanted.fileName} first.`);
  if (!sameModel(loaded, wanted)) {
    throw new LabError(`this needs the model ${describeModel(wanted)}, but ${describeModel(loaded)} is loaded`, where, `Load ${wanted.fileName} (the same file it was trained on) first.`);
  }
}
