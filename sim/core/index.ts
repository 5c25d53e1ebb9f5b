export * from './errors.ts';
export * from './clock.ts';
export * from './random.ts';
export * from './paths.ts';
export * from './progress.ts';
