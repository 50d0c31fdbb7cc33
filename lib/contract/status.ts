import { z } from 'zod';

/**
 * `status.json` on the outage page: written by `shopctl notice`, read by the page every 60 s.
 * Deploys never ship it, so they can never overwrite a live notice; without it the page shows its
 * baseline text (and CloudFront answers the missing object with the page itself and a 503).
 *
 * Three readers must agree on it: this schema (shopctl), the page script (outage-page/src/outage.js)
 * and the canary (lambda/canary/status.ts). Every key added after the first version is optional, so
 * a notice written by an older shopctl stays valid.
 */
export const regionStateSchema = z.enum(['operational', 'degraded', 'down', 'unknown']);

/** Longest text of a promise or of the compensation details, per language. */
export const PROMISE_MAX_CHARS = 1000;

const localizedSchema = z.strictObject({
  ko: z.string().min(1).max(PROMISE_MAX_CHARS),
  en: z.string().min(1).max(PROMISE_MAX_CHARS),
});

/**
 * One standing promise of the page: absent keeps the page's own wording, `false` withholds it (say
 * nothing rather than promise what the incident may break), a text per language replaces it.
 */
export const promiseSchema = z.union([z.literal(false), localizedSchema]);

/** Kinds of compensation the page names in both languages. */
export const COMPENSATION_OFFERS = ['coupon', 'extended-delivery', 'points'] as const;

/**
 * Compensation announced to customers. The page never promises compensation by itself: without this
 * (or with `false`) it says nothing about it.
 */
export const compensationSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** What customers get: a coupon, a later delivery date without penalty, shop points. */
    offers: z.array(z.enum(COMPENSATION_OFFERS)).min(1),
    /** Who gets it, how much, how to claim it (e.g. the coupon code), per language. */
    details: localizedSchema,
  }),
]);

export const promisesSchema = z.strictObject({
  /** "Orders, payments and account details are safe." */
  dataSafe: promiseSchema.optional(),
  /** "You will not be charged twice." Withhold or reword it during a payment incident. */
  notChargedTwice: promiseSchema.optional(),
  compensation: compensationSchema.optional(),
});

export const statusSchema = z.strictObject({
  /**
   * "none" when there is no incident (`shopctl notice clear`). The outage page then shows its
   * baseline text: a visitor who sees the page cannot reach the shop, so it never says "no incident".
   */
  severity: z.enum(['none', 'info', 'minor', 'major']),
  /** Message per language; both are required whenever severity is not "none". */
  message: z.strictObject({ ko: z.string().max(2000), en: z.string().max(2000) }),
  /** ISO 8601 time the notice was written. */
  updatedAt: z.iso.datetime(),
  /** ISO 8601 time of the next promised update, or null. */
  nextUpdateAt: z.iso.datetime().nullable(),
  /**
   * ISO 8601 time service is expected back (`shopctl notice set --back-at`); absent = not known, and
   * the page says so. The page judges it against the visitor's clock: once it has passed without the
   * notice being replaced or cleared, the page says recovery is taking longer than expected instead
   * of showing a time in the past.
   */
  expectedBackAt: z.iso.datetime().optional(),
  /** State per region code. */
  regions: z.record(z.string(), regionStateSchema),
  /** Changes to the page's standing promises and any compensation; absent = the page's own wording. */
  promises: promisesSchema.optional(),
});

export type Status = z.infer<typeof statusSchema>;

/**
 * Region codes of `status` that are not among `regions` (the config's), own keys only: the schema
 * takes any string as a key, so `constructor` or a mistyped code would pass it and then show
 * nothing a customer can use.
 */
export function foreignRegions(status: Pick<Status, 'regions'>, regions: readonly string[]): string[] {
  const known = new Set(regions);
  return Object.keys(status.regions).filter((code) => !known.has(code));
}
export type RegionState = z.infer<typeof regionStateSchema>;
export type Promises = z.infer<typeof promisesSchema>;
export type CompensationOffer = (typeof COMPENSATION_OFFERS)[number];
