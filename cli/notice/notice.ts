import { CreateInvalidationCommand, ListInvalidationsCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { Promises, RegionState, Status, statusSchema } from '../../lib/contract/status';
import { aws, describeError, errorKind, UsageError } from '../aws/errors';
import { getHealthz } from '../shop/healthz';
import type { Deps } from '../aws/deps';
import type { CallContext } from '../aws/deadline';
import { confirmedWrite, type Confirmation } from '../action/readBack';

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
    return { state: parsed.data.severity === 'none' ? 'none' : 'active', status: parsed.data };
  } catch (e) {
    if (errorKind(e) === 'not-found') return { state: 'none' };
    return { state: 'unknown', error: describeError(e, d.profile) };
  }
}

/** `+30m`, `+2h`, `+45s` or an ISO 8601 time → ISO string. */
export function parseEta(eta: string, now: Date): string {
  const rel = /^\+(\d+)([smh])$/.exec(eta.trim());
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000 }[rel[2] as 's' | 'm' | 'h'];
    return new Date(now.getTime() + Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(eta);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(eta)) {
    throw new UsageError(
      `--eta "${eta}" is neither an ISO time (2026-05-01T10:30:00Z) nor a delay like +30m`,
    );
  }
  return new Date(t).toISOString();
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
  /** The page's promises and compensation (absent: the page keeps its own wording). */
  readonly promises?: Promises;
}

export function buildStatus(input: NoticeInput, regions: Record<string, RegionState>, now: Date): Status {
  return statusSchema.parse({
    severity: input.severity,
    message: { ko: input.ko, en: input.en },
    updatedAt: now.toISOString(),
    nextUpdateAt: input.nextUpdateAt,
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

/** Writes status.json; an answer that did not come is read back (the document's updatedAt). */
export async function putStatus(d: Deps, status: Status): Promise<Confirmation> {
  const s3 = d.clients(d.globalRegion).s3;
  return confirmedWrite(
    d,
    () =>
      aws(d, d.globalRegion, 's3:PutObject', (o) =>
        s3.send(
          new PutObjectCommand({
            Bucket: d.names.outageBucket(),
            Key: STATUS_KEY,
            Body: JSON.stringify(status, null, 2),
            ContentType: 'application/json',
            CacheControl: 'max-age=30',
          }),
          o,
        ),
      ),
    async (ctx) => {
      const res = await aws(ctx, d.globalRegion, 's3:GetObject', (o) =>
        s3.send(new GetObjectCommand({ Bucket: d.names.outageBucket(), Key: STATUS_KEY }), o),
      ).catch((e: unknown) => {
        if (errorKind(e) === 'not-found') return { Body: undefined };
        throw e;
      });
      const text = (await res.Body?.transformToString()) ?? '';
      const parsed = text ? statusSchema.safeParse(JSON.parse(text)) : undefined;
      return (
        !!parsed?.success && parsed.data.updatedAt === status.updatedAt && sameNotice(parsed.data, status)
      );
    },
  );
}

/**
 * Invalidates /status.json. When the answer does not come, the same request is sent again under a
 * fresh deadline as the read-back: CloudFront creates no second invalidation for a repeated
 * CallerReference with the same batch, it returns the first one
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html,
 * InvalidationBatch.CallerReference), so an answer then proves it exists.
 */
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
