import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { aws, describeError } from './errors';
import type { Deps } from './deps';

export interface AuditRecord {
  readonly time: string;
  readonly user: { readonly os: string; readonly arn: string | null };
  readonly command: string;
  readonly args: readonly string[];
  /** e.g. "ok", "already-in-effect", "dry-run", "refused", "aborted", "failed", "partial". */
  readonly result: string;
  readonly steps: readonly unknown[];
  readonly detail?: string;
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

/** Caller ARN from STS in the first region that answers, or null. */
export async function callerArn(d: Deps): Promise<string | null> {
  for (const region of d.config.regions.map((r) => r.name)) {
    try {
      const res = await aws(
        region,
        'sts:GetCallerIdentity',
        d.clients(region).sts.send(new GetCallerIdentityCommand({})),
      );
      return res.Arn ?? null;
    } catch {
      // try the next region
    }
  }
  return null;
}

/**
 * Appends the record locally (JSON lines) and to CloudWatch Logs in the first region that answers.
 * Failures are warnings, never fatal.
 */
export async function writeAudit(
  d: Deps,
  entry: Omit<AuditRecord, 'time' | 'user'>,
  arn?: string | null,
): Promise<AuditRecord> {
  const record: AuditRecord = {
    time: d.now().toISOString(),
    user: { os: d.osUser, arn: arn === undefined ? await callerArn(d) : arn },
    ...entry,
  };
  const line = JSON.stringify(record);
  try {
    fs.mkdirSync(path.dirname(d.auditFile), { recursive: true });
    fs.appendFileSync(d.auditFile, line + '\n');
  } catch (e) {
    d.err(`warning: could not write the local audit file ${d.auditFile}: ${(e as Error).message}`);
  }
  const remote = await sendToLogs(d, record, line);
  if (remote) d.err(`warning: audit record not sent to CloudWatch Logs (${remote}); it is in ${d.auditFile}`);
  return record;
}

async function sendToLogs(d: Deps, record: AuditRecord, line: string): Promise<string | null> {
  const logGroupName = d.names.auditLogGroup();
  const logStreamName = `${record.time.slice(0, 10)}-${d.osUser.replace(/[:*]/g, '_')}`;
  let last = 'no region answered';
  for (const region of d.config.regions.map((r) => r.name)) {
    const logs = d.clients(region).logs;
    try {
      try {
        await aws(
          region,
          'logs:CreateLogStream',
          logs.send(new CreateLogStreamCommand({ logGroupName, logStreamName })),
        );
      } catch (e) {
        if ((e as { cause?: { name?: string } }).cause?.name !== 'ResourceAlreadyExistsException') throw e;
      }
      await aws(
        region,
        'logs:PutLogEvents',
        logs.send(
          new PutLogEventsCommand({
            logGroupName,
            logStreamName,
            logEvents: [{ timestamp: new Date(record.time).getTime(), message: line }],
          }),
        ),
      );
      return null;
    } catch (e) {
      last = describeError(e, d.profile);
    }
  }
  return last;
}
