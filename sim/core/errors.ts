/**
 * The one error type of edgeproof. Every failure a user can meet carries a stable code, the category that
 * decides the process exit code, where it happened, and what to do about it.
 */

/** Exit codes are part of the product contract (README §5). */
export const ExitCode = {
  ok: 0,
  violated: 1,
  badInput: 2,
  environment: 3,
  internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCategory = 'input' | 'environment' | 'violation' | 'internal';

export type ErrorCode =
  // environment: a real component is missing or will not start
  | 'E_COMPONENT_MISSING'
  | 'E_COMPONENT_BUILD'
  | 'E_COMPONENT_START'
  | 'E_COMPONENT_UNHEALTHY'
  | 'E_PORT_TAKEN'
  | 'E_TOOL_MISSING'
  | 'E_BACKEND_UNAVAILABLE'
  | 'E_KUBE_API'
  // bad input
  | 'E_BAD_FLAG'
  | 'E_BAD_SCENARIO'
  | 'E_BAD_PROFILE'
  | 'E_BAD_MESSAGE'
  | 'E_BAD_KUBECONFIG'
  // protocol / runtime
  | 'E_PROTOCOL'
  | 'E_TIMEOUT'
  | 'E_INTERNAL';

export interface ErrorDetails {
  /** What the error is about: a component name, a file:line:col, a node name, a message id. */
  readonly where?: string;
  /** One actionable sentence: what the user should do. */
  readonly fix?: string;
  /** The log file that holds the rest of the story. */
  readonly logFile?: string;
  readonly context?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly cause?: unknown;
}

const categoryOf: Record<ErrorCode, ErrorCategory> = {
  E_COMPONENT_MISSING: 'environment',
  E_COMPONENT_BUILD: 'environment',
  E_COMPONENT_START: 'environment',
  E_COMPONENT_UNHEALTHY: 'environment',
  E_PORT_TAKEN: 'environment',
  E_TOOL_MISSING: 'environment',
  E_BACKEND_UNAVAILABLE: 'environment',
  E_KUBE_API: 'environment',
  E_BAD_FLAG: 'input',
  E_BAD_SCENARIO: 'input',
  E_BAD_PROFILE: 'input',
  E_BAD_MESSAGE: 'input',
  E_BAD_KUBECONFIG: 'input',
  E_PROTOCOL: 'internal',
  E_TIMEOUT: 'environment',
  E_INTERNAL: 'internal',
};

export class EdgeproofError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly where: string | undefined;
  readonly fix: string | undefined;
  readonly logFile: string | undefined;
  readonly context: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'EdgeproofError';
    this.code = code;
    this.category = categoryOf[code];
    this.where = details.where;
    this.fix = details.fix;
    this.logFile = details.logFile;
    this.context = details.context ?? {};
  }

  get exitCode(): ExitCode {
    return exitCodeForCategory(this.category);
  }

  /**
   * The single line a user sees: `edgeproof: <where>: <message> — fix: <fix> (log: <file>)`.
   * Components always fill `where` with their name so the line names the component.
   */
  oneLine(): string {
    const parts = [`edgeproof: ${this.where !== undefined ? `${this.where}: ` : ''}${this.message}`];
    if (this.fix !== undefined) parts.push(`fix: ${this.fix}`);
    let line = parts.join(' — ');
    if (this.logFile !== undefined) line += ` (log: ${this.logFile})`;
    return `${line} [${this.code}]`;
  }
}

export function exitCodeForCategory(category: ErrorCategory): ExitCode {
  switch (category) {
    case 'input':
      return ExitCode.badInput;
    case 'environment':
      return ExitCode.environment;
    case 'violation':
      return ExitCode.violated;
    case 'internal':
      return ExitCode.internal;
  }
}

export function isEdgeproofError(e: unknown): e is EdgeproofError {
  return e instanceof EdgeproofError;
}

/** Message of any thrown value, for logs and wrapping. */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
