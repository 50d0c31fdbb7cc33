import { CreateInvalidationCommand, ListInvalidationsCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { foreignRegions, Promises, RegionState, Status, statusSchema } from '../../lib/contract/status';
import { aws, describeError, errorKind } from '../aws/errors';
import { getHealthz } from '../shop/healthz';
import type { Deps } from '../aws/deps';
import type { CallContext } from '../aws/deadline';
import { confirmedWrite, OutcomeUnknown, type Confirmation } from '../action/readBack';

export const STATUS_KEY = 'status.json';

export interface NoticeView {
  readonly state: 'none' | 'active' | 'unknown';
  readonly status?: Status;
  readonly error?: string;
}

/** Reads status.json from the outage bucket; a missing object means no notice. Never throws. */
export async function readNotice(d: Deps): Promise<NoticeView> {
  try {
    const res = await aws(d, d.globalRegion, 's3:GetObject', (o) =>
      d
        .clients(d.globalRegion)
        .s3.send(new GetObjectCommand({ Bucket: d.names.outageBucket(), Key: STATUS_KEY }), o),
    );
    const text = (await res.Body?.transformToString()) ?? '';
    const parsed = statusSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { state: 'unknown', error: 'status.json does not match the schema' };
    const foreign = foreignRegions(
      parsed.data,
      d.config.regions.map((r) => r.name),
    );
    if (foreign.length)
      return {
        state: 'unknown',
        error: `status.json names regions that are not in the config: ${foreign.map((c) => JSON.stringify(c)).join(', ')}. Fix: run shopctl notice set or clear (it writes the config's regions)`,
      };
    return { state: parsed.data.severity === 'none' ? 'none' : 'active', status: parsed.data };
  } catch (e) {
    if (errorKind(e) === 'not-found') return { state: 'none' };
    return { state: 'unknown', error: describeError(e, d.profile) };
  }
}

/** Region states for the page, from each region's /healthz (no AWS API needed). */
export async function regionStates(d: Deps): Promise<Record<string, RegionState>> {
  const entries = await Promise.all(
    d.config.regions.map(async (r): Promise<[string, RegionState]> => {
      const h = await getHealthz(d, r.name);
      // a standby serves read-only by design: healthy, not "slow or partly down"; only a writer that
      // cannot write (or a 503) is degraded
      if (h.status === 200 && (h.mode === 'read-write' || (h.mode === 'read-only' && h.db === 'secondary')))
        return [r.name, 'operational'];
      if (h.status === 200 || h.status === 503) return [r.name, 'degraded'];
      return [r.name, 'unknown'];
    }),
  );
  return Object.fromEntries(entries);
}

export interface NoticeInput {
  readonly severity: 'none' | 'info' | 'minor' | 'major';
  readonly ko: string;
  readonly en: string;
  readonly nextUpdateAt: string | null;
  /** When service is expected back (absent: not known, and the page says so). */
  readonly expectedBackAt?: string;
  /** The page's promises and compensation (absent: the page keeps its own wording). */
  readonly promises?: Promises;
}

export function buildStatus(input: NoticeInput, regions: Record<string, RegionState>, now: Date): Status {
  return statusSchema.parse({
    severity: input.severity,
    message: { ko: input.ko, en: input.en },
    updatedAt: now.toISOString(),
    nextUpdateAt: input.nextUpdateAt,
    ...(input.expectedBackAt ? { expectedBackAt: input.expectedBackAt } : {}),
    regions,
    ...(input.promises ? { promises: input.promises } : {}),
  });
}

/** Same notice, ignoring when it was written. */
export function sameNotice(a: Status, b: Status): boolean {
  const strip = (s: Status) => JSON.stringify({ ...s, updatedAt: undefined, regions: sortKeys(s.regions) });
  return strip(a) === strip(b);
}

function sortKeys(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([x], [y]) => x.localeCompare(y)));
}

/** Reads the outage distribution id from SSM (us-east-1 unless --region). */
export async function distributionId(d: Deps): Promise<string> {
  const res = await aws(d, d.globalRegion, 'ssm:GetParameter', (o) =>
    d
      .clients(d.globalRegion)
      .ssm.send(new GetParameterCommand({ Name: d.names.outageDistributionParameter() }), o),
  );
  const id = res.Parameter?.Value;
  if (!id) throw new Error(`SSM parameter ${d.names.outageDistributionParameter()} is empty`);
  return id;
}

/** The buckets that serve the outage page: us-east-1's and its replica (CloudFront's origin group). */
export function statusTargets(d: Deps): Array<{ readonly bucket: string; readonly region: string }> {
  return [
    { bucket: d.names.outageBucket(), region: d.globalRegion },
    { bucket: d.names.outageReplicaBucket(), region: d.names.outageReplicaRegion() },
  ];
}

/**
 * Writes status.json into both page buckets (whichever origin CloudFront reads, customers see the
 * same notice); a write whose answer did not come is read back (the document's updatedAt).
 * `onWritten` is told of each write that took (what customers see changed). Both are attempted even
 * when one region does not answer, so that with us-east-1 down the replica, which then serves, still
 * gets the notice; the step then fails naming the bucket to write again when its region is back, or
 * is UNKNOWN when a write got neither an answer nor a read-back.
 */
export async function putStatus(
  d: Deps,
  status: Status,
  onWritten: () => void = () => {},
): Promise<Confirmation> {
  const body = JSON.stringify(status, null, 2);
  const targets = statusTargets(d);
  const results = await Promise.allSettled(
    targets.map(async ({ bucket, region }) => {
      const s3 = d.clients(region).s3;
      const inEffect = async (ctx: CallContext) => {
        const res = await aws(ctx, region, 's3:GetObject', (o) =>
          s3.send(new GetObjectCommand({ Bucket: bucket, Key: STATUS_KEY }), o),
        ).catch((e: unknown) => {
          if (errorKind(e) === 'not-found') return { Body: undefined };
          throw e;
        });
        const text = (await res.Body?.transformToString()) ?? '';
        const parsed = text ? statusSchema.safeParse(JSON.parse(text)) : undefined;
        return (
          !!parsed?.success && parsed.data.updatedAt === status.updatedAt && sameNotice(parsed.data, status)
        );
      };
      const how = await confirmedWrite(
        d,
        () =>
          aws(d, region, 's3:PutObject', (o) =>
            s3.send(
              new PutObjectCommand({
                Bucket: bucket,
                Key: STATUS_KEY,
                Body: body,
                ContentType: 'application/json',
                CacheControl: 'max-age=30',
              }),
              o,
            ),
          ),
        inEffect,
      );
      // An answered write is read back too: the two buckets must hold the same notice.
      if (how === 'answered' && !(await inEffect(d)))
        throw new Error(`s3://${bucket}/${STATUS_KEY} (${region}) reads back a different document`);
      onWritten();
      return how;
    }),
  );
  const failed = results
    .map((r, i) => ({ r, t: targets[i] }))
    .filter(
      (x): x is { r: PromiseRejectedResult; t: { bucket: string; region: string } } =>
        x.r.status === 'rejected',
    );
  if (failed.length) {
    const first = failed[0].r.reason;
    if (errorKind(first) === 'interrupted') throw first;
    const message = `status.json not consistent in both page buckets: ${failed
      .map(({ r, t }) => `s3://${t.bucket} (${t.region}): ${describeError(r.reason, d.profile)}`)
      .join(
        '; ',
      )}. The others hold the new notice; run the same shopctl notice again when that region answers.`;
    if (failed.some(({ r }) => r.reason instanceof OutcomeUnknown))
      throw new OutcomeUnknown(message, d.signal.aborted);
    throw new Error(message);
  }
  return results.some((r) => r.status === 'fulfilled' && r.value === 'read-back') ? 'read-back' : 'answered';
}

export async function invalidateStatus(d: Deps, distId: string): Promise<Confirmation> {
  const callerReference = `shopctl-${d.now().getTime()}`;
  const send = (ctx: CallContext) =>
    aws(ctx, d.globalRegion, 'cloudfront:CreateInvalidation', (o) =>
      d.clients(d.globalRegion).cloudfront.send(
        new CreateInvalidationCommand({
          DistributionId: distId,
          InvalidationBatch: {
            CallerReference: callerReference,
            Paths: { Quantity: 1, Items: [`/${STATUS_KEY}`] },
          },
        }),
        o,
      ),
    );
  return confirmedWrite(
    d,
    () => send(d),
    async (ctx) => !!(await send(ctx)).Invalidation?.Id,
  );
}

/**
 * Whether an invalidation of the outage distribution was created at or after `since` (the updatedAt
 * of status.json): a notice written by a run whose invalidation failed (throttled, cut) is then
 * invalidated again by the next run instead of being called "already in effect". Only shopctl
 * invalidates this distribution, and only /status.json. A failure to list counts as "not invalidated":
 * sending one more is harmless.
 */
export async function invalidatedSince(d: Deps, distId: string, since: string): Promise<boolean> {
  try {
    const res = await aws(d, d.globalRegion, 'cloudfront:ListInvalidations', (o) =>
      d
        .clients(d.globalRegion)
        .cloudfront.send(new ListInvalidationsCommand({ DistributionId: distId, MaxItems: 10 }), o),
    );
    const t = Date.parse(since);
    return (res.InvalidationList?.Items ?? []).some((i) => (i.CreateTime?.getTime() ?? 0) >= t);
  } catch (e) {
    if (errorKind(e) === 'interrupted' || errorKind(e) === 'credentials') throw e;
    return false;
  }
}
