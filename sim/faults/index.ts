export * from './schedule.ts';
export * from './executor.ts';
export * from './replay.ts';
export * from './recording-targets.ts';
