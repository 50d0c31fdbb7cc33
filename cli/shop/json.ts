import { bounded, withDeadline } from '../aws/deadline';
import type { Deps } from '../aws/deps';
import { rootMessage } from '../aws/errors';

/** A JSON object as the shop sends it, before its reader picks what it shows. */
export type ShopJson = Record<string, unknown>;

/** Nothing answered (deadline, refused, DNS, Ctrl-C); the error keeps its causes. */
export interface ShopNoAnswer {
  readonly status: null;
  readonly error: string;
}

/**
 * GET `url` of a shop (headers and body) within `httpTimeoutMs` or Ctrl-C, and `view` of its status
 * and JSON body (`undefined` when the body is not JSON or was cut off; `{}` when it is JSON but not
 * an object); never throws. Shared by the shop's health reads (`/healthz`, `/payments/health`,
 * `/notify/health`).
 */
export async function getShopJson<T>(
  d: Deps,
  url: string,
  view: (status: number, body: ShopJson | undefined) => T,
): Promise<T | ShopNoAnswer> {
  try {
    return await withDeadline(
      d,
      async (signal) => {
        const res = await d.fetch(url, { signal });
        let body: ShopJson | undefined;
        try {
          const parsed = await bounded(res.json(), signal, () => new Error('body not received in time'));
          body = parsed && typeof parsed === 'object' ? (parsed as ShopJson) : {};
        } catch {
          body = undefined;
        }
        return view(res.status, body);
      },
      { timeoutMs: d.httpTimeoutMs },
    );
  } catch (e) {
    return { status: null, error: rootMessage(e) };
  }
}
