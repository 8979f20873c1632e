export type { ByteSource } from '../byteSource';
export * from './types';
export { readGguf, type ReadGgufOptions } from './read';
export * from './metadata';
export * from './tensorData';
export * from './write';
export * from './llamaMetadata';
export { buildTinyModel, planTinyModel, type PlannedTensor, type TinyModel, type TinyModelPlan, type TinyModelSpec } from './tinyModel';
export { ggufReport, shortestF32, summarizeValue, valueTypeName, type GgufReport } from './describe';
