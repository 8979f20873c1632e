/**
 * Whether this platform stores numbers little-endian, as safetensors does: then an F32 tensor's bytes are the
 * Float32Array's bytes and can be copied whole (every browser and Node target is; the per-value path stays for any
 * other). Copying also keeps every bit, NaN payloads included, which converting value by value need not.
 */
export const PLATFORM_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
