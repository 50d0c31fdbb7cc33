import { z } from 'zod';

/**
 * `status.json` on the outage page: written by `shopctl notice`, read by the page every 60 s.
 * Deploys never ship it, so they can never overwrite a live notice; without it the page shows its
 * baseline text (and CloudFront answers the missing object with the page itself and a 503).
 */
export const regionStateSchema = z.enum(['operational', 'degraded', 'down', 'unknown']);

export const statusSchema = z.strictObject({
  /** "none" when there is no incident (the page shows a calm default). */
  severity: z.enum(['none', 'info', 'minor', 'major']),
  /** Message per language; both are required whenever severity is not "none". */
  message: z.strictObject({ ko: z.string().max(2000), en: z.string().max(2000) }),
  /** ISO 8601 time the notice was written. */
  updatedAt: z.iso.datetime(),
  /** ISO 8601 time of the next promised update, or null. */
  nextUpdateAt: z.iso.datetime().nullable(),
  /** State per region code. */
  regions: z.record(z.string(), regionStateSchema),
});

export type Status = z.infer<typeof statusSchema>;
export type RegionState = z.infer<typeof regionStateSchema>;
