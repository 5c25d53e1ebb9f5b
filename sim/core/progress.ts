/** Long work shows progress. Progress lines go to stderr so stdout stays machine-readable (--json). */
export interface Progress {
  step(component: string, message: string): void;
}

export const stderrProgress: Progress = {
  step(component, message) {
    process.stderr.write(`[edgeproof] ${component}: ${message}\n`);
  },
};

export const silentProgress: Progress = { step: () => undefined };
