export { AppIndex } from './app-index';
export { alarmFingerprint, alarmFingerprintOfProperties } from './alarms';
export type { IndexedResource, Json } from './app-index';
export type { ResilienceRule, RuleContext, RuleOptions } from './rule';
export { RESILIENCE_RULES, ResilienceChecks } from './resilience-checks';
export type { ResilienceChecksProps } from './resilience-checks';
