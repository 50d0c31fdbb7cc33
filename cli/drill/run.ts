/** What one drill recorded: the timeline and the probe customer's measures the report is made of. */
import type { RegionReadiness } from '../readiness/readiness';
import type { FisTemplate } from './fis';
import type { ProbeTransition, ProbeVerdict } from './probe';

export interface TimelineEvent {
  readonly at: Date;
  readonly what: string;
  /** Which measure this event marks (the report compares them with the budget). */
  readonly kind?:
    | 'started'
    | 'fault'
    | 'canary'
    | 'page'
    | 'dns'
    | 'brake'
    | 'recovered'
    | 'customer'
    | 'served'
    | 'writes'
    | 'orders'
    | 'ended';
}

export interface DrillRun {
  readonly scenario: string;
  readonly region: string;
  readonly template: FisTemplate;
  readonly experimentId: string;
  readonly outcome: string;
  readonly timeline: TimelineEvent[];
  readonly budgetSeconds: number;
  readonly operator: string;
  /** Readiness of the failover targets at preflight. */
  readonly readiness: readonly RegionReadiness[];
  /** What the probe customer measured. */
  readonly probe: {
    readonly baseUrl: string;
    readonly transitions: readonly ProbeTransition[];
    /** After the experiment: an order was accepted, none within `settleMinutes`, or not waited for (Ctrl-C). */
    readonly afterExperiment: 'orders-taken' | 'no-orders' | 'not-waited';
    readonly settleMinutes: number;
    readonly verdict: ProbeVerdict;
  };
}
