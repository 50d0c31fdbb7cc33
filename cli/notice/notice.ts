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

export async function putStatus(d: Deps, status: Status): Promise<void> {
  await aws(d, d.globalRegion, 's3:PutObject', (o) =>
    d.clients(d.globalRegion).s3.send(
      new PutObjectCommand({
        Bucket: d.names.outageBucket(),
        Key: STATUS_KEY,
        Body: JSON.stringify(status, null, 2),
        ContentType: 'application/json',
        CacheControl: 'max-age=30',
      }),
      o,
    ),
  );
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
