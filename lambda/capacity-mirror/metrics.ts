/**
 * Metric names of the capacity mirror, shared by the mirror, the scaler, the readiness check, the
 * CDK constructs and `shopctl`. Every metric carries the dimension `SourceRegion` (who serves).
 */
export const CAPACITY_METRICS = {
  inService: 'InServiceInstances',
  requests: 'RequestsPerMinute',
  acu: 'AcuInUse',
  peakInService: 'PeakInServiceInstances',
  peakRequests: 'PeakRequestsPerMinute',
  peakAcu: 'PeakAcu',
} as const;

/** Dimension naming the region whose capacity a mirrored datapoint describes. */
export const SOURCE_DIMENSION = 'SourceRegion';

/** What one region serves with, now and at its peak over the configured window. */
export interface CapacitySample {
  readonly inService: number;
  readonly requests: number;
  readonly acu: number;
  readonly peakInService: number;
  readonly peakRequests: number;
  readonly peakAcu: number;
}
