import { DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { Names } from '../../lib/config/names';
import { confirmedWrite, LATE, NotInEffect, OutcomeUnknown } from '../action/readBack';
import type { CallContext } from '../aws/deadline';
import { aws, describeError, errorKind, isUnreachable } from '../aws/errors';
import type { Deps } from '../aws/deps';

export type SwitchValue = 'drained' | 'serving';

export interface HolderState {
  readonly holder: string;
  readonly value: SwitchValue | 'unknown';
  /** State of the switch alarm in the holder (OK, ALARM, INSUFFICIENT_DATA, unknown), when read. */
  readonly alarm?: string;
  readonly error?: string;
  /** The holder did not answer at all (as opposed to answering with an error). */
  readonly unreachable?: boolean;
}

export interface SwitchState {
  readonly target: string;
  /** drained if any holder says drained; serving if every answering holder says serving. */
  readonly state: SwitchValue | 'unknown';
  readonly holders: readonly HolderState[];
}

export interface HolderWrite {
  readonly holder: string;
  /**
   * `unreachable`: no answer, and read back as not taken; `unknown`: no answer and the read-back failed
   * too (the holder may or may not have taken it).
   */
  readonly result: 'ok' | 'unreachable' | 'failed' | 'unknown';
  readonly error?: string;
  /** Set when the parameter was written but the immediate metric was not (the publisher catches up). */
  readonly warning?: string;
  /** The answer did not come; the value was read back. */
  readonly late?: boolean;
}

/** Reads the drain switch of `target` in every holder (parameter and, optionally, alarm). */
export async function readSwitch(d: Deps, target: string, withAlarms = false): Promise<SwitchState> {
  const holders = await Promise.all(
    d.names.switchHolders(target).map((h) => readHolder(d, target, h, withAlarms)),
  );
  return { target, state: aggregate(holders), holders };
}

async function readHolder(
  d: Deps,
  target: string,
  holder: string,
  withAlarms: boolean,
): Promise<HolderState> {
  const c = d.clients(holder);
  const value = aws(d, holder, 'ssm:GetParameter', (o) =>
    c.ssm.send(new GetParameterCommand({ Name: d.names.switchParameter(target) }), o),
  ).then(
    (res): Omit<HolderState, 'holder'> => ({
      value: res.Parameter?.Value === 'drained' ? 'drained' : 'serving',
    }),
    (e): Omit<HolderState, 'holder'> =>
      errorKind(e) === 'not-found'
        ? { value: 'serving' }
        : { value: 'unknown', error: describeError(e, d.profile), unreachable: isUnreachable(e) },
  );
  const alarm = withAlarms
    ? aws(d, holder, 'cloudwatch:DescribeAlarms', (o) =>
        c.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [d.names.switchAlarm(target)] }), o),
      ).then(
        (res) => res.MetricAlarms?.[0]?.StateValue ?? 'missing',
        () => 'unknown',
      )
    : Promise.resolve(undefined);
  const [v, a] = await Promise.all([value, alarm]);
  return { holder, ...v, ...(a !== undefined ? { alarm: a } : {}) };
}

function aggregate(holders: readonly HolderState[]): SwitchState['state'] {
  if (holders.some((h) => h.value === 'drained')) return 'drained';
  if (holders.some((h) => h.value === 'serving')) return 'serving';
  return 'unknown';
}

/** A drain is in effect when a holder says drained and no answering holder says serving. */
export function isDrained(s: SwitchState): boolean {
  return s.holders.some((h) => h.value === 'drained') && !s.holders.some((h) => h.value === 'serving');
}

/** No holder answered: the switch's state is unknown. */
export function isUnread(s: SwitchState): boolean {
  return s.holders.length > 0 && s.holders.every((h) => h.value === 'unknown');
}

/** Serving is in effect when no holder that answers says drained. */
export function isServing(s: SwitchState): boolean {
  return !s.holders.some((h) => h.value === 'drained' || (h.value === 'unknown' && !h.unreachable));
}

/**
 * Writes the switch of `target` in every holder: the SSM parameter, then the metric right away so the
 * alarm (and Route 53) reacts within about a minute without waiting for the publisher.
 */
export async function writeSwitch(
  d: Deps,
  target: string,
  value: SwitchValue,
  holders: readonly string[] = d.names.switchHolders(target),
): Promise<HolderWrite[]> {
  return Promise.all(holders.map((h) => writeHolder(d, target, h, value)));
}

async function writeHolder(
  d: Deps,
  target: string,
  holder: string,
  value: SwitchValue,
): Promise<HolderWrite> {
  const c = d.clients(holder);
  const name = d.names.switchParameter(target);
  let late = false;
  try {
    const how = await confirmedWrite(
      d,
      () =>
        aws(d, holder, 'ssm:PutParameter', (o) =>
          c.ssm.send(
            new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
            o,
          ),
        ),
      async (ctx: CallContext) => {
        const res = await aws(ctx, holder, 'ssm:GetParameter', (o) =>
          c.ssm.send(new GetParameterCommand({ Name: name }), o),
        ).catch((e: unknown) => {
          if (errorKind(e) === 'not-found') return { Parameter: { Value: 'serving' } };
          throw e;
        });
        return (res.Parameter?.Value === 'drained' ? 'drained' : 'serving') === value;
      },
    );
    late = how === 'read-back';
  } catch (e) {
    if (e instanceof OutcomeUnknown) return { holder, result: 'unknown', error: e.message };
    return {
      holder,
      result: e instanceof NotInEffect || isUnreachable(e) ? 'unreachable' : 'failed',
      error: e instanceof NotInEffect ? e.message : describeError(e, d.profile),
    };
  }
  if (late) {
    // the metric is a hint for speed only; the region's publisher sends it within a minute anyway
    return {
      holder,
      result: 'ok',
      late,
      warning: `${LATE}; the metric is left to the publisher (within a minute)`,
    };
  }
  try {
    await aws(d, holder, 'cloudwatch:PutMetricData', (o) =>
      c.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: d.names.switchNamespace(),
          MetricData: [
            {
              MetricName: Names.SWITCH_METRIC,
              Dimensions: [{ Name: 'TargetRegion', Value: target }],
              Value: value === 'drained' ? 1 : 0,
              Unit: 'Count',
              Timestamp: d.now(),
            },
          ],
        }),
        o,
      ),
    );
    return { holder, result: 'ok' };
  } catch (e) {
    return {
      holder,
      result: 'ok',
      warning: `parameter set, metric not sent (${describeError(e, d.profile)}); the publisher applies it within a minute`,
    };
  }
}
