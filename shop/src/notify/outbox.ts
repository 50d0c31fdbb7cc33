/**
 * The transactional outbox: a notice is a row in `notices`, inserted by the same database
 * transaction that changes the order or payment it tells about. It commits with the change or not
 * at all, lives in the database (so it fails over with it), and is sent later by the dispatcher
 * (./dispatcher.ts). See docs/notifications.md "Outbox".
 */
import type { PoolClient } from 'pg';
import { NOTIFY_NOTICE_KINDS, type NotifyNoticeKind } from '../../../lib/contract/notify';
import type { Language } from '../i18n';

/** Every notice an order can need: the contract's list, which the config's template check reads too. */
export const NOTICE_KINDS = NOTIFY_NOTICE_KINDS;
export type NoticeKind = NotifyNoticeKind;

/** What a notice's text may show besides the order number (amounts in minor units). */
export interface NoticeDetail {
  amount?: number;
  /** ISO time a manual payment is due. */
  dueAt?: string;
  /** Text in every language, or one text for all. */
  bank?: string | Record<Language, string>;
  account?: string;
  holder?: string | Record<Language, string>;
}

/**
 * Inserts a notice for `orderId` in the caller's transaction, if the customer left a contact.
 * `dedupe` tells apart notices of the same kind for one order (e.g. the payment attempt's id for
 * "payment failed"); the same (order, kind, dedupe) twice is one notice. Returns true if inserted.
 */
export async function enqueueNotice(
  c: Pick<PoolClient, 'query'>,
  orderId: string,
  kind: NoticeKind,
  dedupe = '',
  detail: NoticeDetail = {},
): Promise<boolean> {
  const r = await c.query(
    `INSERT INTO notices (order_id, kind, dedupe, detail)
     SELECT $1, $2, $3, $4 FROM order_contacts WHERE order_id = $1
     ON CONFLICT (order_id, kind, dedupe) DO NOTHING`,
    [orderId, kind, dedupe, JSON.stringify(detail)],
  );
  return (r.rowCount ?? 0) > 0;
}
