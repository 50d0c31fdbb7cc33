import { HEALTH_PATH } from '../../lib/contract/shop';
import { bounded, withDeadline } from '../aws/deadline';
import { rootMessage } from '../aws/errors';
import type { Deps } from '../aws/deps';

export interface HealthzView {
  /** HTTP status, or null when nothing answered. */
  readonly status: number | null;
  readonly mode?: string;
  readonly db?: string;
  readonly error?: string;
}

export function healthzUrl(d: Deps, region: string): string {
  return `https://${d.names.regionRecord(region)}${HEALTH_PATH}`;
}

/**
 * GET /healthz of one region through its direct name, headers and body within `httpTimeoutMs` (or
 * Ctrl-C); never throws. The error keeps its causes: `fetch failed: getaddrinfo ENOTFOUND …`.
 */
export async function getHealthz(d: Deps, region: string): Promise<HealthzView> {
  try {
    return await withDeadline(
      d,
      async (signal) => {
        const res = await d.fetch(healthzUrl(d, region), { signal });
        let body: Record<string, unknown> = {};
        try {
          const parsed = await bounded(res.json(), signal, () => new Error('body not received in time'));
          if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
        } catch {
          // not JSON (or cut off): report the status only
        }
        return {
          status: res.status,
          ...(typeof body.mode === 'string' ? { mode: body.mode } : {}),
          ...(typeof body.db === 'string' ? { db: body.db } : {}),
        };
      },
      { timeoutMs: d.httpTimeoutMs },
    );
  } catch (e) {
    return { status: null, error: rootMessage(e) };
  }
}

export function isReadWriteWriter(h: HealthzView): boolean {
  return h.status === 200 && h.mode === 'read-write' && h.db === 'writer';
}

export function healthzSummary(h: HealthzView): string {
  if (h.status === null) return `no answer${h.error ? ` (${h.error})` : ''}`;
  return [String(h.status), h.mode, h.db ? `db ${h.db}` : undefined].filter(Boolean).join(' ');
}
