import { HEALTH_PATH } from '../../lib/contract/shop';
import type { Deps } from '../aws/deps';
import { getShopJson } from './json';

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
export function getHealthz(d: Deps, region: string): Promise<HealthzView> {
  // a body that is not JSON (or cut off): the status only
  return getShopJson(d, healthzUrl(d, region), (status, body = {}) => ({
    status,
    ...(typeof body.mode === 'string' ? { mode: body.mode } : {}),
    ...(typeof body.db === 'string' ? { db: body.db } : {}),
  }));
}

export function isReadWriteWriter(h: HealthzView): boolean {
  return h.status === 200 && h.mode === 'read-write' && h.db === 'writer';
}

export function healthzSummary(h: HealthzView): string {
  if (h.status === null) return `no answer${h.error ? ` (${h.error})` : ''}`;
  return [String(h.status), h.mode, h.db ? `db ${h.db}` : undefined].filter(Boolean).join(' ');
}
