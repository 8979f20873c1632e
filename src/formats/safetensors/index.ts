export * from './types';
export { readSafetensors, readSafetensorsF32, type ReadSafetensorsOptions } from './read';
export { writeSafetensors, type SafetensorsTensorToWrite } from './write';
