/** Exit codes of `shopctl` (documented in docs/runbook.md). */
export const EXIT = {
  ok: 0,
  /** status: customers affected, or not in the normal state. Actions: failed before changing anything. */
  affected: 1,
  /** Usage error or refusal (nothing changed). */
  usage: 2,
  /** State could not be determined. */
  unknown: 3,
  /** A change was started but not finished: the system is half switched. */
  partial: 4,
  /** An action failed before changing anything. */
  failed: 5,
} as const;

/** A problem with how the command was called; nothing was changed. */
export class UsageError extends Error {
  readonly exitCode: number = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error carrying its own exit code and a one-line message meant for the operator. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A step that failed for a reason already worded for the operator (shown verbatim). */
export class StepFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepFailure';
  }
}

/** A failed AWS call, with the IAM action and region it was made in. */
export class AwsCallError extends Error {
  constructor(
    readonly action: string,
    readonly region: string,
    readonly cause: unknown,
  ) {
    super(`${action} in ${region}: ${rootMessage(cause)}`);
    this.name = 'AwsCallError';
  }
}

/** Runs one AWS call and wraps its failure with the IAM action and region. */
export async function aws<T>(region: string, action: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    throw new AwsCallError(action, region, e);
  }
}

export type ErrorKind = 'credentials' | 'unreachable' | 'access-denied' | 'throttled' | 'not-found' | 'other';

const UNREACHABLE_CODES = [
  'ENOTFOUND',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EPIPE',
];
const UNREACHABLE_NAMES = [
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
  'NetworkingError',
  'RequestTimeoutException',
];
const THROTTLE_NAMES = [
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
];
const DENIED_NAMES = [
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
];
const NOT_FOUND_NAMES = [
  'ParameterNotFound',
  'NoSuchKey',
  'NotFound',
  'GlobalClusterNotFoundFault',
  'NoSuchHealthCheck',
];

interface ErrLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function unwrap(e: unknown): ErrLike {
  let cur: unknown = e;
  while (cur instanceof AwsCallError) cur = cur.cause;
  return (cur && typeof cur === 'object' ? cur : { message: String(cur) }) as ErrLike;
}

function rootMessage(e: unknown): string {
  const x = unwrap(e);
  const name = x.name && x.name !== 'Error' ? `${x.name}: ` : '';
  return `${name}${(x.message || x.code || 'unknown error').split('\n')[0]}`;
}

/** Classifies an error (SDK, network or credentials) into what the operator must do about it. */
export function errorKind(e: unknown): ErrorKind {
  const x = unwrap(e);
  const ids = [x.name, x.code, x.Code].filter((s): s is string => typeof s === 'string');
  const msg = x.message ?? '';
  if (
    ids.includes('CredentialsProviderError') ||
    /Could not load credentials|Unable to locate credentials|Token is expired/i.test(msg)
  ) {
    return 'credentials';
  }
  if (ids.some((i) => UNREACHABLE_CODES.includes(i) || UNREACHABLE_NAMES.includes(i))) return 'unreachable';
  if (UNREACHABLE_CODES.some((c) => msg.includes(c)) || /timed? ?out/i.test(msg)) return 'unreachable';
  if (ids.some((i) => THROTTLE_NAMES.includes(i)) || /rate exceeded|throttl/i.test(msg)) return 'throttled';
  if (ids.some((i) => DENIED_NAMES.includes(i)) || x.$metadata?.httpStatusCode === 403)
    return 'access-denied';
  if (ids.some((i) => NOT_FOUND_NAMES.includes(i))) return 'not-found';
  if (x.cause && x.cause !== e) {
    const inner = errorKind(x.cause);
    if (inner !== 'other') return inner;
  }
  return 'other';
}

/** True when the endpoint did not answer at all (as opposed to answering with an error). */
export function isUnreachable(e: unknown): boolean {
  return errorKind(e) === 'unreachable';
}

/** One line saying what failed and what to do about it. */
export function describeError(e: unknown, profile?: string): string {
  if (e instanceof UsageError || e instanceof CliError || e instanceof StepFailure) return e.message;
  const where = e instanceof AwsCallError ? `${e.action} in ${e.region}` : 'AWS call';
  const detail = rootMessage(e);
  switch (errorKind(e)) {
    case 'credentials':
      return (
        `No AWS credentials found${profile ? ` for profile "${profile}"` : ''}. ` +
        `Fix: run "aws sso login${profile ? ` --profile ${profile}` : ''}" or export AWS_PROFILE / AWS_ACCESS_KEY_ID, then re-run.`
      );
    case 'unreachable':
      return `${where} did not answer (${detail}). The region or your network may be impaired: retry, or check https://health.aws.amazon.com.`;
    case 'access-denied':
      return `Access denied: ${where} (${detail}). Fix: use an operator role allowed to ${e instanceof AwsCallError ? e.action : 'do this'} (see docs/runbook.md).`;
    case 'throttled':
      return `Throttled by AWS: ${where} (${detail}). Wait a few seconds and re-run the same command (it resumes).`;
    default:
      return `${where} failed: ${detail}`;
  }
}
