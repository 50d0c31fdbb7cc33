/**
 * A write whose answer did not come is UNKNOWN, not failed. A call that timed out (or was cut by
 * Ctrl-C) may still have been carried out: AWS received the request, the answer was lost or late. So
 * every mutating call of shopctl reads the state back before the step is reported: in effect → DONE,
 * not in effect → NOT DONE, the read-back failing too → UNKNOWN (and the run says which command checks
 * and finishes it). A write answered with an error (access denied, throttled, validation) was refused
 * by AWS: NOT DONE, no read-back needed.
 */
import { budget, type CallContext } from '../aws/deadline';
import { describeError, errorKind, StepFailure } from '../aws/errors';
import type { Deps } from '../aws/deps';

/** The write got no answer and the read-back could not tell whether it was made. */
export class OutcomeUnknown extends StepFailure {
  constructor(
    message: string,
    /** Ctrl-C cut the write. */
    readonly interrupted: boolean,
  ) {
    super(message);
    this.name = 'OutcomeUnknown';
  }
}

/** The write got no answer, and the read-back shows it is not in effect. */
export class NotInEffect extends StepFailure {
  constructor(
    message: string,
    readonly interrupted: boolean,
  ) {
    super(message);
    this.name = 'NotInEffect';
  }
}

/** How a write was confirmed: by its own answer, or (the answer did not come) by reading it back. */
export type Confirmation = 'answered' | 'read-back';

/** True when the call got no answer at all, so it may have been carried out. */
export function answerMissing(e: unknown): boolean {
  const k = errorKind(e);
  return k === 'unreachable' || k === 'interrupted';
}

/**
 * Runs `write`; when its answer does not come (deadline, connection lost, Ctrl-C), runs `readBack`
 * under a fresh deadline of its own (Ctrl-C has already cut the run's signal, and the operator must
 * still learn what happened). Returns how the write was confirmed.
 * @throws the write's own error when AWS answered with one (NOT DONE);
 * {@link NotInEffect} when the read-back shows it not made; {@link OutcomeUnknown} when the read-back
 * fails too.
 */
export async function confirmedWrite(
  d: Deps,
  write: () => Promise<unknown>,
  readBack: (ctx: CallContext) => Promise<boolean>,
): Promise<Confirmation> {
  try {
    await write();
    return 'answered';
  } catch (e) {
    if (!answerMissing(e)) throw e;
    const interrupted = errorKind(e) === 'interrupted' || d.signal.aborted;
    const why = describeError(e, d.profile);
    const b = budget(d.callTimeoutMs);
    let inEffect: boolean;
    try {
      inEffect = await readBack({ signal: b.signal, callTimeoutMs: d.callTimeoutMs });
    } catch (r) {
      throw new OutcomeUnknown(
        `${why}; reading it back failed too (${describeError(r, d.profile)}): the change may or may not have been made`,
        interrupted,
      );
    } finally {
      b.clear();
    }
    if (inEffect) return 'read-back';
    throw new NotInEffect(`${why}; read back: not in effect, this step changed nothing`, interrupted);
  }
}

/** The detail a step adds when its write was confirmed only by reading it back. */
export const LATE = 'the answer did not come in time; read back: in effect';
