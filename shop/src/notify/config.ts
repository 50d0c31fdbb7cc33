/**
 * The shop's notice settings: `SHOP_NOTIFY` (NOTIFY-CONTRACT "Shop environment"; written by the web
 * tier from the config's `notifications` key, which lib/config validates at synth). Parsed once
 * here with zod, like SHOP_PAYMENTS (../payments/config.ts), with errors that name the key, so a
 * hand-edited environment file fails at start instead of half-working. Unset: no dispatcher.
 */
import { z } from 'zod';
import { notifyNamespaceOf, parseNotifySwitchValue } from '../../../lib/contract/notify';
import { NOTICE_KINDS } from './outbox';

/** Environment variable holding the JSON. */
export const NOTIFY_ENV = 'SHOP_NOTIFY';

const url = z.string().url();
const channelSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.literal('alimtalk'),
    kind: z.literal('nhn-alimtalk'),
    baseUrl: url,
    appKey: z.string().min(1),
    senderKey: z.string().min(1),
    templates: z.record(z.string(), z.string().min(1)),
    secretName: z.string().min(1),
  }),
  z.object({
    id: z.literal('sms'),
    kind: z.literal('nhn-sms'),
    baseUrl: url,
    appKey: z.string().min(1),
    sendNo: z.string().regex(/^\d{7,12}$/, 'digits only, e.g. 0212345678'),
    secretName: z.string().min(1),
  }),
  z.object({
    id: z.literal('email'),
    kind: z.literal('ses'),
    from: z.string().min(3),
    configurationSet: z.string().min(1).optional(),
    /** Not set in production (the regional SES endpoint); the local drill points it at a fake. */
    baseUrl: url.optional(),
  }),
]);

export const notifySchema = z.object({
  channels: z.array(channelSchema).min(1),
  deadlineMs: z.number().int().min(100).max(60_000).default(5000),
  /** In the contract's interface (notify-ops); default: six deadlines, at least 30 s. */
  leaseMs: z.number().int().positive().optional(),
  dispatchEverySeconds: z.number().positive().max(3600).default(5),
  breaker: z
    .object({
      consecutiveFailures: z.number().int().min(1).default(3),
      halfOpenAfterMs: z.number().int().positive().default(30_000),
    })
    .default({ consecutiveFailures: 3, halfOpenAfterMs: 30_000 }),
  switchParameter: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  /** Not in the contract: wait before the chain starts over once every reachable channel refused. */
  retrySeconds: z.number().positive().default(30),
});

export type NotifySettings = z.infer<typeof notifySchema>;
export type NotifyChannelSettings = z.infer<typeof channelSchema>;

/** The lease a notice gets when claimed: `leaseMs` when set, else six deadlines and at least 30 s. */
export function leaseOf(s: NotifySettings): number {
  return s.leaseMs ?? Math.max(30_000, s.deadlineMs * 6);
}

/** Parses the JSON of `SHOP_NOTIFY`; undefined when unset. */
export function parseNotify(raw: string | undefined): NotifySettings | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${NOTIFY_ENV} is not JSON; fix the web tier's environment file`);
  }
  const parsed = notifySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${NOTIFY_ENV}.${issue.path.join('.')}: ${issue.message}; fix config "notifications" and redeploy`,
    );
  }
  const s = parsed.data;
  const ids = s.channels.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`${NOTIFY_ENV}.channels: "${dup}" appears twice; list each channel once`);
  const alimtalk = s.channels.find((c) => c.kind === 'nhn-alimtalk');
  const missing = alimtalk ? NOTICE_KINDS.filter((k) => !alimtalk.templates[k]) : [];
  if (alimtalk && missing.length)
    throw new Error(
      `${NOTIFY_ENV}.channels.${ids.indexOf('alimtalk')}.templates: no template for ${missing.join(', ')}; add the approved template codes`,
    );
  if (leaseOf(s) < s.deadlineMs * 2)
    throw new Error(
      `${NOTIFY_ENV}.leaseMs: ${leaseOf(s)} is less than twice deadlineMs (${s.deadlineMs}); a slow send would be declared dead`,
    );
  return s;
}

/**
 * Parses the switch parameter's value: a JSON array of channel ids switched off (`[]` when none);
 * the contract's parser (lib/contract/notify.ts), shared with `shopctl channels`. Unknown ids are
 * kept (a newer `shopctl` may know more channels) and simply match nothing.
 */
export const parseNotifySwitch = parseNotifySwitchValue;

/** `${app}/notify` from the switch parameter `/${app}/notify/disabled` when no namespace is given. */
export function namespaceOf(s: NotifySettings): string {
  return notifyNamespaceOf(s);
}
