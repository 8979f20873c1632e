export * from './types';
export { readGguf, type ReadGgufOptions } from './read';
export * from './metadata';
export * from './tensorData';
