import { LabError } from '../errors';
import type { ByteSource } from '../formats/byteSource';

/**
 * Which base model a run or adapter belongs to. The name and size alone would accept a different model saved
 * under the same name. Hashing a whole 4 GB file would take longer than loading it, so the fingerprint covers the
 * header (metadata, vocabulary, tensor table: it differs between architectures, quantizations and most models)
 * and the first and last MiB of tensor data (which differ between two fine-tunes with identical headers).
 */
export interface ModelIdentity {
  fileName: string;
  fileBytes: number;
  /** SHA-256 (hex) of the GGUF header followed by the first and last MiB of the tensor data. */
  fingerprint: string;
}

const SAMPLE_BYTES = 1 << 20;

/** Reads only byte ranges, so a File from the page and a file on disk (a ByteSource in Node) give the same identity. */
export async function modelIdentity(file: Blob | ByteSource, fileName: string, dataOffset: number): Promise<ModelIdentity> {
  const dataBytes = file.size - dataOffset;
  const headEnd = dataOffset + Math.min(SAMPLE_BYTES, dataBytes);
  const head = await file.slice(0, headEnd).arrayBuffer();
  const tail = await file.slice(Math.max(dataOffset + SAMPLE_BYTES, file.size - SAMPLE_BYTES), file.size).arrayBuffer();
  const bytes = new Uint8Array(head.byteLength + tail.byteLength);
  bytes.set(new Uint8Array(head));
  bytes.set(new Uint8Array(tail), head.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const fingerprint = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { fileName, fileBytes: file.size, fingerprint };
}

/** Same model: the fingerprint decides (a renamed copy of the file is still the same model). */
export function sameModel(a: ModelIdentity, b: ModelIdentity): boolean {
  return a.fingerprint === b.fingerprint && a.fileBytes === b.fileBytes;
}

export function describeModel(m: ModelIdentity): string {
  return `"${m.fileName}" (${m.fileBytes.toLocaleString('en-US')} bytes, fingerprint ${m.fingerprint.slice(0, 12)})`;
}

/** Refuses work that needs `wanted` when `loaded` is another model, saying which file to load. */
export function requireModel(loaded: ModelIdentity | undefined, wanted: ModelIdentity, where: string): void {
  if (!loaded) throw new LabError(`no model is loaded; this needs ${describeModel(wanted)}`, where, `Load ${wanted.fileName} first.`);
  if (!sameModel(loaded, wanted)) {
    throw new LabError(
      `this needs the model ${describeModel(wanted)}, but ${describeModel(loaded)} is loaded`,
      where,
      `Load ${wanted.fileName} (the same file it was trained on) first.`,
    );
  }
}
