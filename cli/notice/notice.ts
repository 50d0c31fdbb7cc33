import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { Promises, RegionState, Status, statusSchema } from '../../lib/contract/status';
import { aws, describeError, errorKind, UsageError } from '../aws/errors';
import { getHealthz } from '../shop/healthz';
import type { Deps } from '../aws/deps';

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
      if (h.status === 200 && h.mode === 'read-write') return [r.name, 'operational'];
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

/** The buckets that serve the outage page: us-east-1's and its replica (CloudFront's origin group). */
export function statusTargets(d: Deps): Array<{ readonly bucket: string; readonly region: string }> {
  return [
    { bucket: d.names.outageBucket(), region: d.globalRegion },
    { bucket: d.names.outageReplicaBucket(), region: d.names.outageReplicaRegion() },
  ];
}

/**
 * Writes status.json into both page buckets (whichever origin CloudFront reads, customers see the
 * same notice) and reads each back; `onWritten` is told of each write (what customers see changed). Both are attempted even when one region does not answer, so
 * that with us-east-1 down the replica, which then serves, still gets the notice; the step then
 * fails naming the bucket to write again when its region is back.
 */
export async function putStatus(d: Deps, status: Status, onWritten: () => void = () => {}): Promise<void> {
  const body = JSON.stringify(status, null, 2);
  const results = await Promise.allSettled(
    statusTargets(d).map(async ({ bucket, region }) => {
      const s3 = d.clients(region).s3;
      await aws(d, region, 's3:PutObject', (o) =>
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
      );
      onWritten();
      const back = await aws(d, region, 's3:GetObject', (o) =>
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: STATUS_KEY }), o),
      );
      if (((await back.Body?.transformToString()) ?? '') !== body) {
        throw new Error(`s3://${bucket}/${STATUS_KEY} (${region}) reads back a different document`);
      }
    }),
  );
  const failed = results
    .map((r, i) => ({ r, t: statusTargets(d)[i] }))
    .filter(
      (x): x is { r: PromiseRejectedResult; t: { bucket: string; region: string } } =>
        x.r.status === 'rejected',
    );
  if (failed.length) {
    const first = failed[0].r.reason;
    if (errorKind(first) === 'interrupted') throw first;
    throw new Error(
      `status.json not consistent in both page buckets: ${failed
        .map(({ r, t }) => `s3://${t.bucket} (${t.region}): ${describeError(r.reason, d.profile)}`)
        .join(
          '; ',
        )}. The others hold the new notice; run the same shopctl notice again when that region answers.`,
    );
  }
}

export async function invalidateStatus(d: Deps, distId: string): Promise<void> {
  await aws(d, d.globalRegion, 'cloudfront:CreateInvalidation', (o) =>
    d.clients(d.globalRegion).cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: distId,
        InvalidationBatch: {
          CallerReference: `shopctl-${d.now().getTime()}`,
          Paths: { Quantity: 1, Items: [`/${STATUS_KEY}`] },
        },
      }),
      o,
    ),
  );
}
