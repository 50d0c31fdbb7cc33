/**
 * The config's `contacts` as the shop (SHOP_CONTACTS) and the outage page receive them, and how they
 * read in one language. No dependency (the shop bundle and the outage page renderer both use it).
 */

/** Languages the shop and the outage page speak, the home language first. */
export const LANGUAGES = ['ko', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** One text for every language (a brand name), or one per language. */
export type LocalizedText = string | { readonly ko: string; readonly en: string };

/** Ways to reach and pay the shop while it is degraded (lib/config/schema.ts `contactsSchema`). */
export interface Contacts {
  readonly phone: string;
  /** When the phone answers. */
  readonly phoneHours?: LocalizedText;
  /** One list per language; a plain list (the format before languages) reads the same in both. */
  readonly paymentAlternatives:
    | readonly string[]
    | { readonly ko: readonly string[]; readonly en: readonly string[] };
  readonly messengers: readonly { readonly name: LocalizedText; readonly url: string }[];
  readonly email: string;
}

/** The contacts as a customer reading `lang` sees them. */
export interface LocalContacts {
  phone: string;
  phoneHours?: string;
  paymentAlternatives: string[];
  messengers: { name: string; url: string }[];
  email: string;
}

/** The text for `lang`. */
export function textIn(text: LocalizedText, lang: Language): string {
  return typeof text === 'string' ? text : text[lang];
}

/** Every language-dependent field of `contacts` resolved for `lang`. */
export function contactsIn(contacts: Contacts, lang: Language): LocalContacts {
  const pay = contacts.paymentAlternatives;
  return {
    phone: contacts.phone,
    ...(contacts.phoneHours === undefined ? {} : { phoneHours: textIn(contacts.phoneHours, lang) }),
    paymentAlternatives: [...(isList(pay) ? pay : pay[lang])],
    messengers: contacts.messengers.map((m) => ({ name: textIn(m.name, lang), url: m.url })),
    email: contacts.email,
  };
}

function isList(v: Contacts['paymentAlternatives']): v is readonly string[] {
  return Array.isArray(v);
}
