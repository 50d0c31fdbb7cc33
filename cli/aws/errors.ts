import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CallContext, DeadlineOptions, isInterrupted, withDeadline } from './deadline';

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
  /** The config file is invalid: nothing was read or changed. */
  config: 6,
  /** Interrupted (Ctrl-C / SIGINT), as shells report a SIGINT death (128 + 2). */
  interrupted: 130,
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

/**
 * Runs one AWS call under the run's deadline and interrupt signal (passed to the SDK as `abortSignal`)
 * and wraps its failure with the IAM action and region.
 */
export async function aws<T>(
  ctx: CallContext,
  region: string,
  action: string,
  send: (options: { abortSignal: AbortSignal }) => Promise<T>,
  o: DeadlineOptions = {},
): Promise<T> {
  try {
    return await withDeadline(ctx, (abortSignal) => send({ abortSignal }), o);
  } catch (e) {
    throw new AwsCallError(action, region, e);
  }
}

/** Something with the SDK v3 client's `send(command, options)`. */
interface Sender {
  send(command: unknown, options?: object): Promise<unknown>;
}

/**
 * `client` with every `send` made through {@link aws} (the run's deadline and interrupt signal, the
 * IAM action `service:Action` and region in the error): for code shared with the Lambdas, such as
 * lambda/readiness `evaluate`, that calls `client.send(command)` itself. The action is the command's
 * class name without `Command` (the CLI runs unbundled through tsx, so class names are kept).
 */
export function boundedClient<C extends object>(
  ctx: CallContext,
  region: string,
  service: string,
  client: C,
): C {
  const sender = client as unknown as Sender;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (command: { constructor: { name: string } }, options?: object) =>
        aws(ctx, region, `${service}:${command.constructor.name.replace(/Command$/, '')}`, (o) =>
          sender.send(command, { ...options, ...o }),
        );
    },
  });
}

export type ErrorKind =
  | 'interrupted'
  | 'credentials'
  | 'unreachable'
  | 'access-denied'
  | 'throttled'
  | 'not-found'
  | 'other';

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
  'ResourceNotFoundException',
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

function firstLine(x: ErrLike): string {
  return (x.message || x.code || 'unknown error')
    .split('\n')[0]
    .replace(/^@smithy\/node-http-handler - \[ERROR\] /, '');
}

/**
 * The error's first line followed by every cause it wraps, so that "fetch failed" reads
 * "fetch failed: getaddrinfo ENOTFOUND shop.example.com".
 */
export function rootMessage(e: unknown): string {
  const x = unwrap(e);
  const name = x.name && x.name !== 'Error' ? `${x.name}: ` : '';
  let text = `${name}${firstLine(x)}`;
  let cur = x.cause;
  for (let i = 0; i < 4 && cur && cur !== e; i++) {
    const c = unwrap(cur);
    const line = firstLine(c);
    if (!text.includes(line)) text += `: ${line}`;
    cur = c.cause === cur ? undefined : c.cause;
  }
  return text;
}

/** Classifies an error (SDK, network or credentials) into what the operator must do about it. */
export function errorKind(e: unknown): ErrorKind {
  const x = unwrap(e);
  const ids = [x.name, x.code, x.Code].filter((s): s is string => typeof s === 'string');
  const msg = x.message ?? '';
  if (isInterrupted(e)) return 'interrupted';
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

/** Where the SDK looks for named profiles. */
function profileFiles(): string[] {
  const home = os.homedir();
  return [
    process.env.AWS_CONFIG_FILE || path.join(home, '.aws', 'config'),
    process.env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, '.aws', 'credentials'),
  ];
}

/** Profile names defined in the shared config and credentials files. */
export function knownProfiles(files = profileFiles()): string[] {
  const names = new Set<string>();
  for (const f of files) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) {
      names.add(m[1]);
    }
  }
  return [...names].sort();
}

/** Names the profile (from --profile or AWS_PROFILE) and says whether it exists at all. */
function credentialsMessage(flagProfile?: string): string {
  const profile = flagProfile ?? process.env.AWS_PROFILE;
  if (!profile) {
    return 'No AWS credentials found. Fix: run "aws sso login" or export AWS_PROFILE / AWS_ACCESS_KEY_ID, then re-run.';
  }
  const from = flagProfile ? '--profile' : 'AWS_PROFILE';
  const known = knownProfiles();
  if (!known.includes(profile)) {
    return (
      `No AWS credentials: profile "${profile}" (${from}) is not defined in ${profileFiles().join(' or ')}. ` +
      `Fix: ${known.length ? `use one of ${known.join(', ')}, or ` : ''}run "aws configure sso --profile ${profile}", then re-run.`
    );
  }
  return (
    `No AWS credentials found for profile "${profile}" (${from}). ` +
    `Fix: run "aws sso login --profile ${profile}", then re-run.`
  );
}

/** One line saying what failed and what to do about it. */
export function describeError(e: unknown, profile?: string): string {
  if (e instanceof UsageError || e instanceof CliError || e instanceof StepFailure) return e.message;
  const where = e instanceof AwsCallError ? `${e.action} in ${e.region}` : 'AWS call';
  const detail = rootMessage(e);
  switch (errorKind(e)) {
    case 'interrupted':
      return `${where} interrupted (Ctrl-C) before it answered`;
    case 'credentials':
      return credentialsMessage(profile);
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
