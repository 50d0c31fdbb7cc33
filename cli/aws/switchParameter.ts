import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { Deps } from './deps';
import { aws, describeError, errorKind } from './errors';

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
 * Reads an operator switch (an SSM String parameter holding a JSON list) in `region`; never throws
 * but for credentials and Ctrl-C. A value `parse` refuses is an error; a missing parameter is `empty`.
 * Shared by the payments and the notifications switches.
 */
export async function readSwitchParameter<T>(
  d: Deps,
  region: string,
  name: string,
  parse: (value: string) => T,
  empty: T,
): Promise<SwitchRead<T>> {
  try {
    const res = await aws(d, region, 'ssm:GetParameter', (o) =>
      d.clients(region).ssm.send(new GetParameterCommand({ Name: name }), o),
    );
    const value = res.Parameter?.Value ?? '[]';
    try {
      return { value: parse(value) };
    } catch (e) {
      return { error: `unreadable value ${JSON.stringify(value)}: ${(e as Error).message}` };
    }
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    if (errorKind(e) === 'not-found') return { value: empty, missing: true };
    return { error: describeError(e, d.profile), unreachable: errorKind(e) === 'unreachable' };
  }
}
