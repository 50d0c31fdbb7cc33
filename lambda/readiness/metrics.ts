/** Metric names of the readiness check (dimension `Region`, and `Check` for failures). */
export const READY_METRIC = 'Ready';
export const CHECK_FAILED_METRIC = 'CheckFailed';
