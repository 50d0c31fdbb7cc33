import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { budget, withDeadline } from './deadline';
import { aws, describeError } from './errors';
import { callerIdentity } from './identity';
import type { Deps } from './deps';

export interface AuditRecord {
  readonly time: string;
  readonly user: { readonly os: string; readonly arn: string | null };
  readonly command: string;
  readonly args: readonly string[];
  /**
   * "ok", "already-in-effect", "dry-run", "refused", "aborted", "failed", "partial", "unknown" (a change got no answer and could not be read back) or "interrupted".
   */
  readonly result: string;
  readonly steps: readonly unknown[];
  readonly detail?: string;
}

/** Longest wait for the caller's ARN before the local record is written without it. */
const IDENTITY_WAIT_MS = 2_000;

export interface AuditOptions {
  /**
   * Also send the record to CloudWatch Logs (default true). Off when the failure happened before any AWS
   * call could work (usage error, no credentials): the remote write would only add a second failure.
   */
  readonly remote?: boolean;
}

export function defaultAuditFile(): string {
  return process.env.SHOPCTL_AUDIT_FILE || path.join(os.homedir(), '.shopctl', 'audit.jsonl');
}

export function osUser(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `unknown@${os.hostname()}`;
  }
}

/**
 * Appends the record locally (JSON lines, synchronously, so it exists even if the process is killed
 * next) and then to CloudWatch Logs in the first region that takes it, trying the next region on any
 * failure. Each region's attempt runs under its own budget (`auditTimeoutMs`, not the run's interrupt
 * signal), so an interrupted run is still recorded and a stalled Logs API holds the exit at most
 * `auditTimeoutMs` per region. Failures are warnings, never fatal.
 */
export async function writeAudit(
  d: Deps,
  entry: Omit<AuditRecord, 'time' | 'user'>,
  o: AuditOptions = {},
): Promise<AuditRecord> {
  const b = budget(d.auditTimeoutMs);
  try {
    return await writeAuditWithin(d, entry, o, b.signal);
  } finally {
    b.clear();
  }
}

async function writeAuditWithin(
  d: Deps,
  entry: Omit<AuditRecord, 'time' | 'user'>,
  o: AuditOptions,
  budget: AbortSignal,
): Promise<AuditRecord> {
  const remote = o.remote ?? true;
  // Known already after an action's account check; otherwise asked briefly, so the local record is
  // never held back long by a stalled STS (a second Ctrl-C exits without waiting for the rest).
  const arn = remote
    ? await withDeadline(d, () => callerIdentity(d, { parent: budget }), {
        parent: budget,
        timeoutMs: Math.min(d.callTimeoutMs, IDENTITY_WAIT_MS),
      }).then(
        (id) => id.arn,
        () => null,
      )
    : null;
  const record: AuditRecord = { time: d.now().toISOString(), user: { os: d.osUser, arn }, ...entry };
  const line = JSON.stringify(record);
  try {
    fs.mkdirSync(path.dirname(d.auditFile), { recursive: true });
    fs.appendFileSync(d.auditFile, line + '\n');
  } catch (e) {
    d.err(`warning: could not write the local audit file ${d.auditFile}: ${(e as Error).message}`);
  }
  if (!remote) return record;
  const failure = await sendToLogs(d, record, line);
  if (failure)
    d.err(`warning: audit record not sent to CloudWatch Logs (${failure}); it is in ${d.auditFile}`);
  return record;
}

/**
 * Sends the record to the first region that takes it. Each region has its own budget
 * (`auditTimeoutMs`): a stalled first region (often the one in trouble) must not use up the time of
 * the next one, or the record would exist only on the laptop.
 */
async function sendToLogs(d: Deps, record: AuditRecord, line: string): Promise<string | null> {
  const logGroupName = d.names.auditLogGroup();
  const logStreamName = `${record.time.slice(0, 10)}-${d.osUser.replace(/[:*]/g, '_')}`;
  const failures: string[] = [];
  for (const region of d.config.regions.map((r) => r.name)) {
    const logs = d.clients(region).logs;
    const b = budget(d.auditTimeoutMs);
    const o = { parent: b.signal, timeoutMs: Math.min(d.callTimeoutMs, d.auditTimeoutMs) };
    try {
      try {
        await aws(
          d,
          region,
          'logs:CreateLogStream',
          (x) => logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName }), x),
          o,
        );
      } catch (e) {
        if ((e as { cause?: { name?: string } }).cause?.name !== 'ResourceAlreadyExistsException') throw e;
      }
      await aws(
        d,
        region,
        'logs:PutLogEvents',
        (x) =>
          logs.send(
            new PutLogEventsCommand({
              logGroupName,
              logStreamName,
              logEvents: [{ timestamp: new Date(record.time).getTime(), message: line }],
            }),
            x,
          ),
        o,
      );
      return null;
    } catch (e) {
      failures.push(describeError(e, d.profile));
    } finally {
      b.clear();
    }
  }
  return failures.join('; ') || 'no region configured';
}
