/** Builds the shop's options from the environment variables of the contract (SHOP_ENV). */
import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { SHOP_ENV, SHOP_PORT } from '../../lib/contract/shop';
import { LANGUAGES, type Language, type LocalizedText } from '../../lib/contract/contacts';
import { NO_CLIENT_LIMITS } from './limits';
import type { Contacts, Logger, Role, ShopOptions } from './types';

/** The config's default currency. */
export const DEFAULT_CURRENCY = 'KRW';

/** Not part of the contract: where a CA bundle for the database's TLS certificate may be found. */
export const DB_CA_FILE_ENV = 'SHOP_DB_CA_FILE';
export const DEFAULT_DB_CA_FILE = '/etc/resilient-shop/rds-ca-bundle.pem';
/** Not part of the contract: directory for state that survives restarts (systemd `StateDirectory=`). */
export const STATE_DIR_ENV = 'SHOP_STATE_DIR';
/** Set by systemd when the unit has `StateDirectory=`; used when SHOP_STATE_DIR is not set. */
export const SYSTEMD_STATE_DIR_ENV = 'STATE_DIRECTORY';
/** Not part of the contract: other regions' database endpoints to read the writer fence from, `host:port,...`. */
export const FENCE_WITNESSES_ENV = 'SHOP_FENCE_WITNESSES';

/**
 * Not part of the contract: `off` lifts the per-client limits (shop/src/limits.ts). For the local
 * drill, whose simulated customers all come from 127.0.0.1 and buy every few milliseconds; never
 * set in AWS.
 */
export const CLIENT_LIMITS_ENV = 'SHOP_CLIENT_LIMITS';

/** Parses `host:port,host:port` (port defaults to `defaultPort`); ignores empty items. */
export function parseWitnesses(
  raw: string | undefined,
  defaultPort: number,
): { host: string; port: number }[] {
  return (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => {
      const i = item.lastIndexOf(':');
      const port = i > 0 ? Number(item.slice(i + 1)) : NaN;
      return Number.isInteger(port) && port > 0 && port < 65536
        ? { host: item.slice(0, i), port }
        : { host: item, port: defaultPort };
    });
}

/** Shown when SHOP_CONTACTS is missing or invalid, so the read-only message never breaks. */
export const FALLBACK_CONTACTS: Contacts = {
  phone: 'our customer service line',
  paymentAlternatives: { ko: ['계좌이체'], en: ['bank transfer'] },
  messengers: [],
  email: 'support@example.com',
};

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
/** One text, or one per language (lib/contract/contacts.ts `LocalizedText`). */
const isText = (v: unknown): v is LocalizedText =>
  isString(v) || (isRecord(v) && LANGUAGES.every((l) => isString(v[l])));
const isList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(isString);

/**
 * Validates the `contacts` JSON (same shape as lib/config/schema.ts contactsSchema, which already
 * refused bad values at synth; this guards against a hand-edited environment file).
 */
export function parseContacts(raw: string | undefined, logger?: Logger): Contacts {
  if (!raw) {
    logger?.warn(`${SHOP_ENV.contacts} is not set; using placeholder contacts`);
    return FALLBACK_CONTACTS;
  }
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const messengers = Array.isArray(v.messengers) ? v.messengers : [];
    const pay = v.paymentAlternatives;
    if (
      isString(v.phone) &&
      isString(v.email) &&
      (v.phoneHours === undefined || isText(v.phoneHours)) &&
      (isList(pay) || (isRecord(pay) && LANGUAGES.every((l) => isList(pay[l])))) &&
      messengers.every((m: unknown) => isRecord(m) && isText(m.name) && isString(m.url))
    ) {
      return {
        phone: v.phone,
        ...(v.phoneHours === undefined ? {} : { phoneHours: v.phoneHours as LocalizedText }),
        email: v.email,
        paymentAlternatives: isList(pay)
          ? pay
          : { ko: (pay as Record<Language, string[]>).ko, en: (pay as Record<Language, string[]>).en },
        messengers: (messengers as { name: LocalizedText; url: string }[]).map(({ name, url }) => ({
          name,
          url,
        })),
      };
    }
  } catch {
    // fall through
  }
  logger?.error(`${SHOP_ENV.contacts} is not valid contacts JSON; using placeholder contacts`);
  return FALLBACK_CONTACTS;
}

/** The currency of SHOP_CURRENCY if Intl can format it, else KRW (the config's default). */
export function parseCurrency(raw: string | undefined, logger?: Logger): string {
  if (!raw) return DEFAULT_CURRENCY;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: raw });
    if (/^[A-Z]{3}$/.test(raw)) return raw;
  } catch {
    // fall through
  }
  logger?.error(
    `${SHOP_ENV.currency} "${raw}" is not an ISO 4217 code; showing prices in ${DEFAULT_CURRENCY}`,
  );
  return DEFAULT_CURRENCY;
}

function tlsOptions(env: NodeJS.ProcessEnv, logger?: Logger): boolean | ConnectionOptions {
  if ((env[SHOP_ENV.dbTls] ?? '').toLowerCase() !== 'true') return false;
  const caFile = env[DB_CA_FILE_ENV] || DEFAULT_DB_CA_FILE;
  if (fs.existsSync(caFile)) return { ca: fs.readFileSync(caFile, 'utf8'), rejectUnauthorized: true };
  // Encrypted but not verified: the RDS CA is not in Node's default store. Ship the bundle to verify.
  logger?.warn('database TLS without certificate verification: CA bundle not found', { caFile });
  return { rejectUnauthorized: false };
}

export interface EnvConfig {
  options: ShopOptions;
  port: number;
  /** Secrets Manager secret to read credentials from, if any. */
  secretName?: string;
}

/** Reads SHOP_* variables. Throws only when the database host is missing. */
export function configFromEnv(env: NodeJS.ProcessEnv, logger?: Logger): EnvConfig {
  const writerHost = env[SHOP_ENV.dbWriterHost];
  if (!writerHost) throw new Error(`${SHOP_ENV.dbWriterHost} must be set`);
  const role: Role = env[SHOP_ENV.role] === 'standby' ? 'standby' : 'primary';
  if (env[SHOP_ENV.role] && env[SHOP_ENV.role] !== role) {
    logger?.warn(`${SHOP_ENV.role} is neither "primary" nor "standby"; assuming primary`);
  }
  const port = Number(env[SHOP_ENV.port] || SHOP_PORT);
  return {
    port: Number.isInteger(port) && port >= 0 && port < 65536 ? port : SHOP_PORT,
    secretName: env[SHOP_ENV.dbSecretName] || undefined,
    options: {
      region: env[SHOP_ENV.region] || env.AWS_REGION || 'local',
      role,
      version: env[SHOP_ENV.version] || 'dev',
      contacts: parseContacts(env[SHOP_ENV.contacts], logger),
      stateDir: env[STATE_DIR_ENV] || env[SYSTEMD_STATE_DIR_ENV]?.split(':')[0] || undefined,
      fenceWitnesses: parseWitnesses(env[FENCE_WITNESSES_ENV], Number(env[SHOP_ENV.dbPort] || 5432)),
      currency: parseCurrency(env[SHOP_ENV.currency], logger),
      ...(env[CLIENT_LIMITS_ENV] === 'off' ? { limits: NO_CLIENT_LIMITS } : {}),
      db: {
        writerHost,
        readerHost: env[SHOP_ENV.dbReaderHost] || undefined,
        port: Number(env[SHOP_ENV.dbPort] || 5432),
        database: env[SHOP_ENV.dbName] || 'shop',
        user: env[SHOP_ENV.dbUser] || undefined,
        password: env[SHOP_ENV.dbPassword] || undefined,
        ssl: tlsOptions(env, logger),
      },
    },
  };
}
