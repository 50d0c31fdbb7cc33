import type { ScalerConfig } from './index';

/** Rounds up to the half-ACU steps Aurora Serverless v2 accepts. */
export function roundAcu(acu: number): number {
  return Math.ceil(acu * 2) / 2;
}

/** Instances and ACU a region needs to carry `peak` with the configured headroom, within its bounds. */
export function absorbTarget(
  config: Pick<
    ScalerConfig,
    'headroomPercent' | 'maxInstances' | 'postureMinInstances' | 'maxAcu' | 'postureMinAcu'
  >,
  peakInService: number | undefined,
  peakAcu: number | undefined,
): { instances: number; acu: number; known: boolean } {
  const h = config.headroomPercent / 100;
  // Without a mirrored figure (the mirror never ran, or its data expired) the worst case is assumed:
  // a standby that scales to its maximum costs minutes of instances; one that guesses low is an outage.
  const instances =
    peakInService === undefined
      ? config.maxInstances
      : Math.min(config.maxInstances, Math.max(config.postureMinInstances, Math.ceil(peakInService * h)));
  const acu =
    peakAcu === undefined
      ? config.maxAcu
      : Math.min(config.maxAcu, Math.max(config.postureMinAcu, roundAcu(peakAcu * h)));
  return { instances, acu, known: peakInService !== undefined && peakAcu !== undefined };
}
