import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { confirmedWrite, NotInEffect, OutcomeUnknown } from '../action/readBack';
import type { CallContext } from './deadline';
import type { Deps } from './deps';
import { aws, describeError, errorKind } from './errors';

/**
 * The operator switch parameters (payments, notifications, the payment drill fault): SSM String
 * parameters holding JSON, one copy in each region, read by the shop and written by shopctl.
 */

/** How one switch parameter's value is read and written. */
export interface SwitchCodec<T> {
  /** @throws Error naming what is wrong with a value that is not the contract's JSON. */
  readonly parse: (value: string) => T;
  /** The one text of a value, so that a read-back compares equal to what was written. */
  readonly format: (value: T) => string;
  /** The text that means "nothing switched": a missing parameter reads as this. */
  readonly empty: string;
}

/** One region's copy of an operator switch parameter, as read. */
export interface SwitchRead<T> {
  /** Absent when it could not be read (see `error`). */
  readonly value?: T;
  /** The parameter does not exist (the region's stack predates the switch): nothing is off there. */
  readonly missing?: boolean;
  readonly error?: string;
  readonly unreachable?: boolean;
}

/**
 * Reads an operator switch in `region`; never throws but for credentials and Ctrl-C. A value the
 * codec refuses is an error; a missing parameter reads as `codec.empty`.
 */
export async function readSwitchParameter<T>(
  d: Deps,
  region: string,
  name: string,
  codec: SwitchCodec<T>,
): Promise<SwitchRead<T>> {
  try {
    const res = await aws(d, region, 'ssm:GetParameter', (o) =>
      d.clients(region).ssm.send(new GetParameterCommand({ Name: name }), o),
    );
    const value = res.Parameter?.Value ?? codec.empty;
    try {
      return { value: codec.parse(value) };
    } catch (e) {
      return { error: `unreadable value ${JSON.stringify(value)}: ${(e as Error).message}` };
    }
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    if (errorKind(e) === 'not-found') return { value: codec.parse(codec.empty), missing: true };
    return { error: describeError(e, d.profile), unreachable: errorKind(e) === 'unreachable' };
  }
}

/**
 * What a write did in one region, as the step runner words it: `done` (its answer came, or it was
 * lost and a read-back found the value: `late`), `not-done` (refused, not reachable, or read back
 * twice as not written), `unknown` (no answer and the read-back could not tell).
 */
export interface SwitchWrite {
  readonly region: string;
  readonly result: 'done' | 'not-done' | 'unknown';
  readonly value: string;
  readonly late?: boolean;
  readonly error?: string;
}

/**
 * Writes `value` (already in the codec's form) to the switch `name` in `region` (PutParameter,
 * Overwrite) through `confirmedWrite`: a write whose answer does not come is read back, and read
 * again after a settle when it is not there yet, before it is reported (cli/action/readBack.ts).
 * The put runs under `ctx` (default the run's own deadlines and Ctrl-C); the read-backs under a
 * deadline of their own. Never throws but for Ctrl-C on a write that AWS answered with an error.
 * SSM has no compare-and-set on a parameter's value, so two operators writing at once can lose one
 * change; the read-back names what is in force.
 */
export async function writeSwitchParameter<T>(
  d: Deps,
  region: string,
  name: string,
  codec: SwitchCodec<T>,
  value: string,
  ctx: CallContext = d,
): Promise<SwitchWrite> {
  const ssm = d.clients(region).ssm;
  try {
    const how = await confirmedWrite(
      d,
      () =>
        aws(ctx, region, 'ssm:PutParameter', (o) =>
          ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }), o),
        ),
      async (readCtx) => {
        const res = await aws(readCtx, region, 'ssm:GetParameter', (o) =>
          ssm.send(new GetParameterCommand({ Name: name }), o),
        ).catch((e: unknown) => {
          if (errorKind(e) === 'not-found') return { Parameter: { Value: codec.empty } };
          throw e;
        });
        return codec.format(codec.parse(res.Parameter?.Value ?? codec.empty)) === value;
      },
    );
    return { region, result: 'done', value, ...(how === 'read-back' ? { late: true } : {}) };
  } catch (e) {
    if (e instanceof OutcomeUnknown) return { region, result: 'unknown', value, error: e.message };
    if (!(e instanceof NotInEffect) && errorKind(e) === 'interrupted') throw e;
    return {
      region,
      result: 'not-done',
      value,
      error: e instanceof NotInEffect ? e.message : describeError(e, d.profile),
    };
  }
}
