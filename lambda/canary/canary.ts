import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import type { CanaryConfig } from './config';
import type { FetchFn } from './http';
import { signTestRequest } from '../../lib/contract/test-signature';
import {
  TargetRun,
  type PaymentsVerdict,
  type ShopMode,
  type StepResult,
  type TestPaymentVerdict,
} from './journeys';

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
  /**
   * PutMetricData to every verdict region beside TargetFailed, only when the journey succeeded and
   * the shop reported its payments: 1 when no online method works (payments down, shop up), else 0.
   * Dimensions Target, Vantage. A failed journey publishes none: a shop that is down says nothing of
   * its payments.
   */
  paymentsDown: 'PaymentsDown',
  /**
   * Beside TargetFailed, only when the journey succeeded and the target ran a test payment: 1 when
   * the payment path is broken (the shop is up; its provider's test cycle failed), else 0; and
   * `PaymentPathUnknown` 1 when the test payment's answer was lost. Dimensions Target, Vantage.
   */
  paymentPathBroken: 'PaymentPathBroken',
  paymentPathUnknown: 'PaymentPathUnknown',
} as const;

export interface CanaryDeps {
  config: CanaryConfig;
  fetch?: FetchFn;
  /** CloudWatch client for a verdict region (the default handler caches one per region). */
  cloudWatchFor: (region: string) => CloudWatchClient;
  /** Monotonic-enough clock in ms, for latencies. */
  now?: () => number;
  logger?: Logger;
  /** Reads the test-signing key (config.signingSecretName); the default handler caches it. */
  signingKey?: () => Promise<string>;
}

export interface TargetSummary {
  target: string;
  ok: boolean;
  mode?: ShopMode;
  /** `shop-down` (the journey failed), `payments-down` (the journey worked, no online method does), or `ok`. */
  verdict?: 'ok' | 'shop-down' | 'payments-down';
  /** The shop's payment verdict, for targets that take payments. */
  payments?: PaymentsVerdict;
  /** The test payment's verdict, for targets that run one. */
  testPayment?: TestPaymentVerdict;
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
    const key = deps.signingKey
      ? await readKey(deps.signingKey, Math.min(3000, journeyBudget / 4))
      : undefined;
    const env = {
      fetch: fetchFn,
      now,
      stepTimeoutMs: config.stepTimeoutMs,
      maxRedirects: config.maxRedirects,
      deadline: deadline.signal,
      ...(key !== undefined
        ? {
            sign: (header: string, method: string, path: string) =>
              key instanceof Error ? key : signTestRequest(key, header, method, path, Date.now()),
          }
        : {}),
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
    const datum = (name: string, s: Snapshot, value: number) => ({
      MetricName: name,
      Dimensions: [
        { Name: 'Target', Value: s.target },
        { Name: 'Vantage', Value: config.vantage },
      ],
      Timestamp: timestamp,
      Unit: 'Count' as const,
      Value: value,
    });
    const input = {
      Namespace: config.namespace,
      MetricData: [
        ...snapshots.map((s) => datum(CANARY_METRICS.targetFailed, s, s.ok ? 0 : 1)),
        ...snapshots
          .filter((s) => s.ok && s.payments && s.payments !== 'unreachable')
          .map((s) => datum(CANARY_METRICS.paymentsDown, s, s.payments === 'all-online-down' ? 1 : 0)),
        // A shop that is down says nothing of its payment path: only after a journey that worked.
        ...snapshots
          .filter((s) => s.ok && s.testPayment)
          .flatMap((s) => [
            datum(CANARY_METRICS.paymentPathBroken, s, s.testPayment === 'broken' ? 1 : 0),
            datum(CANARY_METRICS.paymentPathUnknown, s, s.testPayment === 'unknown' ? 1 : 0),
          ]),
      ],
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

/** Reads the signing key within `ms`; an Error (never a throw) when it cannot be read. */
async function readKey(read: () => Promise<string>, ms: number): Promise<string | Error> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`test-signing key not read within ${ms} ms`)), ms);
      }),
    ]);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}

function snapshot(run: TargetRun, at: number): Snapshot {
  const base = {
    target: run.target.id,
    ...(run.mode && { mode: run.mode }),
    ...(run.payments && { payments: run.payments }),
    ...(run.testPayment && { testPayment: run.testPayment }),
  };
  const steps = [...run.steps];
  if (run.verdict) {
    const { ok, failedStep, reason, latencyMs } = run.verdict;
    const verdict = !ok ? 'shop-down' : run.payments === 'all-online-down' ? 'payments-down' : 'ok';
    return {
      ...base,
      ok,
      ...(run.payments && { verdict }),
      ...(failedStep && { failedStep }),
      ...(reason && { reason }),
      latencyMs,
      steps,
    };
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
