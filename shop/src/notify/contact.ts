/**
 * Contact details a customer may leave at checkout so that the shop can tell them about their
 * order: a Korean mobile number and/or an e-mail address, with the consent they gave. Nothing else
 * personal is asked for: guest checkout needs no account and no social login (docs/notifications.md
 * "Design rules"), so a login provider's outage can never stop a sale.
 */
import type { PoolClient } from 'pg';
import type { Language } from '../i18n';

/** Version of the consent text in shop/src/i18n.ts (`notify.consent`); stored with each consent. */
export const CONSENT_VERSION = 'notify-2026-12';

/** Contact details are erased this many days after the order (docs/notifications.md "Retention"). */
export const CONTACT_RETENTION_DAYS = 30;

/** Validated contact details. */
export interface Contact {
  /** Korean mobile number, digits only (`01012345678`). */
  phone?: string;
  /** E-mail address as given, trimmed. */
  email?: string;
  lang: Language;
}

/** A field that failed validation; `message` is one of the texts in i18n.ts `routes`. */
export class ContactError extends Error {}

// 010 numbers have 8 digits after the prefix; the older 011/016-019 ranges have 7 or 8.
const MOBILE = /^(?:010\d{8}|01[16789]\d{7,8})$/;
// Deliberately simple (WHATWG's "valid e-mail address" shape): the provider is the real check, and
// a stricter pattern mostly rejects real addresses.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * A Korean mobile number in digits (`01012345678`) from what a customer types: spaces, dashes,
 * dots and brackets are ignored, and `+82 10…` / `82 10…` become `010…`. Undefined when it is not
 * a mobile number (landlines cannot receive 알림톡 or SMS).
 */
export function normaliseMobile(input: string): string | undefined {
  let digits = input.replace(/[\s\-.()]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  if (!/^\d+$/.test(digits)) return undefined;
  if (digits.startsWith('82')) digits = '0' + digits.slice(2).replace(/^0/, '');
  return MOBILE.test(digits) ? digits : undefined;
}

/** True for an address of the usual `local@domain.tld` shape, at most 254 characters. */
export function isEmail(input: string): boolean {
  return input.length <= 254 && EMAIL.test(input);
}

/**
 * Reads `phone`, `email` and `consent` from a checkout body. Undefined when the customer left no
 * contact (allowed: the order page still shows the state). Throws ContactError naming the field.
 */
export function parseContact(body: Record<string, unknown>, lang: Language): Contact | undefined {
  const text = (v: unknown) =>
    typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : undefined;
  const phoneIn = text(body.phone);
  const emailIn = text(body.email);
  if (phoneIn === undefined || emailIn === undefined) throw new ContactError('phone and email must be text.');
  if (phoneIn === '' && emailIn === '') return undefined;
  const contact: Contact = { lang };
  if (phoneIn !== '') {
    const phone = normaliseMobile(phoneIn);
    if (!phone) throw new ContactError('Enter a Korean mobile number such as 010-1234-5678.');
    contact.phone = phone;
  }
  if (emailIn !== '') {
    if (!isEmail(emailIn)) throw new ContactError('Enter an e-mail address such as name@example.com.');
    contact.email = emailIn;
  }
  const consent = body.consent;
  if (consent !== true && consent !== 'true' && consent !== 'on' && consent !== '1')
    throw new ContactError('To receive order messages, agree to the use of your contact details.');
  return contact;
}

/** Stores the contact with the order, in the order's own transaction. */
export async function saveContact(
  c: PoolClient,
  orderId: string,
  contact: Contact,
  now: Date,
): Promise<void> {
  const eraseAfter = new Date(now.getTime() + CONTACT_RETENTION_DAYS * 86_400_000);
  await c.query(
    `INSERT INTO order_contacts (order_id, phone, email, lang, consent_version, consented_at, erase_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [orderId, contact.phone ?? null, contact.email ?? null, contact.lang, CONSENT_VERSION, now, eraseAfter],
  );
}

/** Deletes contact details past their retention; returns how many orders' contacts were erased. */
export async function eraseExpiredContacts(c: Pick<PoolClient, 'query'>, now: Date): Promise<number> {
  const r = await c.query('DELETE FROM order_contacts WHERE erase_after < $1', [now]);
  return r.rowCount ?? 0;
}
