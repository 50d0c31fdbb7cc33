import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import type { CanaryConfig } from './config';
import type { FetchFn } from './http';
import { TargetRun, type ShopMode, type StepResult } from './journeys';

/** Metric names and dimension names the canary emits (the CDK alarms use the same). */
export const CANARY_METRICS = {
  /** EMF, own region. Count 1/0, dimension Target. */
  journeySuccess: 'JourneySuccess',
  /** EMF, own region. Milliseconds, dimension Target. */
  journeyLatency: 'JourneyLatency',
  /** EMF, own region. Count 1/0, dimensions Target, Step. */
  stepSuccess: 'StepSuccess',
  /** EMF, own region. Milliseconds, dimensions Target, Step. */
  stepLatency: 'StepLatency',
  /** EMF, own region. Count 1 (publish failed) / 0 (ok), dimension Region (the verdict region). */
  verdictPublishFailed: 'VerdictPublishFailed',
  /** PutMetricData to every verdict region. Count 1 failed / 0 ok, dimensions Target, Vantage. */
  targetFailed: 'TargetFailed',
} as const;

export interface CanaryDeps {
  config: CanaryConfig;
  fetch?: FetchFn;
  /** CloudWatch client for a verdict region (the default handler caches one per region). */
  cloudWatchFor: (region: string) => CloudWatchClient;
  /** Monotonic-enough clock in ms, for latencies. */
  now?: () => number;
  logger?: Logger;
}

export interface TargetSummary {
  target: string;
  ok: boolean;
  mode?: ShopMode;
  failedStep?: string;
  reason?: string;
  latencyMs: number;
}

export interface CanarySummary {
  vantage: string;
  results: TargetSummary[];
}

interface Snapshot extends TargetSummary {
  steps: StepResult[];
}

/** Part of the budget kept for publishing verdicts: a quarter, at most 5 s. */
const publishReserve = (budgetMs: number) => Math.min(5000, Math.floor(budgetMs / 4));

export function createHandler(deps: CanaryDeps) {
  const { config } = deps;
  const fetchFn = deps.fetch ?? globalThis.fetch;
  const now = deps.now ?? Date.now;
  const logger =
    deps.logger ?? new Logger({ serviceName: 'canary', persistentKeys: { vantage: config.vantage } });
  // One instance, flushed once per dimension set, so each EMF line carries exactly its own dimensions.
  const metrics = new Metrics({ namespace: config.namespace, serviceName: 'canary' });
  metrics.clearDefaultDimensions(); // no `service` dimension: alarms match Target / Target+Step / Region only
  type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
  const emit = (dims: Record<string, string>, values: [string, Unit, number][]) => {
    for (const [k, v] of Object.entries(dims)) metrics.addDimension(k, v);
    for (const [name, unit, value] of values) metrics.addMetric(name, unit, value);
    metrics.publishStoredMetrics();
  };

  return async function handler(_event?: unknown, context?: Partial<Context>): Promise<CanarySummary> {
    if (context?.awsRequestId) logger.addContext(context as Context);
    const remaining = context?.getRemainingTimeInMillis?.() ?? Infinity;
    const budget = Math.max(0, Math.min(config.deadlineMs, remaining - 500));
    const journeyBudget = budget - publishReserve(budget);
    const startedAt = now();

    const deadline = new AbortController();
    const env = {
      fetch: fetchFn,
      now,
      stepTimeoutMs: config.stepTimeoutMs,
      maxRedirects: config.maxRedirects,
      deadline: deadline.signal,
    };
    const runs = config.targets.map((t) => new TargetRun(t, env));
    const snapshots = await new Promise<Snapshot[]>((resolve) => {
      const timer = setTimeout(() => {
        deadline.abort(new Error('deadline'));
        resolve(runs.map((r) => snapshot(r, now())));
      }, journeyBudget);
      void Promise.all(runs.map((r) => r.execute())).then(() => {
        clearTimeout(timer);
        resolve(runs.map((r) => snapshot(r, now())));
      });
    });
    deadline.abort(new Error('done')); // release anything still in flight (informational steps)

    for (const s of snapshots) {
      emit({ Target: s.target }, [
        [CANARY_METRICS.journeySuccess, MetricUnit.Count, s.ok ? 1 : 0],
        [CANARY_METRICS.journeyLatency, MetricUnit.Milliseconds, s.latencyMs],
      ]);
      for (const st of s.steps) {
        emit({ Target: s.target, Step: st.step }, [
          [CANARY_METRICS.stepSuccess, MetricUnit.Count, st.ok ? 1 : 0],
          [CANARY_METRICS.stepLatency, MetricUnit.Milliseconds, st.latencyMs],
        ]);
      }
      const { steps, ...summary } = s;
      const line = {
        ...summary,
        steps: steps.map(({ step, ok, status, latencyMs, reason, finalUrl, informational }) => ({
          step,
          ok,
          status,
          latencyMs,
          reason,
          finalUrl,
          informational,
        })),
      };
      if (s.ok) logger.info('canary target verdict', line);
      else logger.warn('canary target verdict', line);
    }

    await publishVerdicts(snapshots, Math.max(0, budget - (now() - startedAt)));

    return { vantage: config.vantage, results: snapshots.map(({ steps: _steps, ...summary }) => summary) };
  };

  async function publishVerdicts(snapshots: Snapshot[], timeoutMs: number): Promise<void> {
    const timestamp = new Date();
    const input = {
      Namespace: config.namespace,
      MetricData: snapshots.map((s) => ({
        MetricName: CANARY_METRICS.targetFailed,
        Dimensions: [
          { Name: 'Target', Value: s.target },
          { Name: 'Vantage', Value: config.vantage },
        ],
        Timestamp: timestamp,
        Unit: 'Count' as const,
        Value: s.ok ? 0 : 1,
      })),
    };
    const outcomes = await Promise.all(
      config.verdictRegions.map(async (region) => {
        // A plain timer, cleared when the call settles (see journeys.ts on AbortSignal.timeout's weak hold).
        const ctrl = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => {
              ctrl.abort();
              reject(new Error(`timeout (${timeoutMs} ms)`));
            },
            Math.max(1, timeoutMs),
          );
        });
        try {
          const client = deps.cloudWatchFor(region);
          await Promise.race([
            client.send(new PutMetricDataCommand(input), { abortSignal: ctrl.signal }),
            timedOut,
          ]);
          return { region, error: undefined };
        } catch (err) {
          const e = err as { name?: string; message?: string };
          return { region, error: `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}` };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    for (const { region, error } of outcomes) {
      if (error) logger.error('verdict publish failed', { region, error });
      emit({ Region: region }, [[CANARY_METRICS.verdictPublishFailed, MetricUnit.Count, error ? 1 : 0]]);
    }
  }
}

function snapshot(run: TargetRun, at: number): Snapshot {
  const base = { target: run.target.id, ...(run.mode && { mode: run.mode }) };
  const steps = [...run.steps];
  if (run.verdict) {
    const { ok, failedStep, reason, latencyMs } = run.verdict;
    return { ...base, ok, ...(failedStep && { failedStep }), ...(reason && { reason }), latencyMs, steps };
  }
  // Cut short by the deadline: the step in progress failed with reason "deadline".
  const current = run.current;
  if (current)
    steps.push({ step: current.step, ok: false, latencyMs: at - current.startedAt, reason: 'deadline' });
  return {
    ...base,
    ok: false,
    ...(current && { failedStep: current.step }),
    reason: 'deadline',
    latencyMs: at - run.startedAt,
    steps,
  };
}
