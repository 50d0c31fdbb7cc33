/**
 * A write whose answer did not come is UNKNOWN, not failed. A call that timed out (or was cut by
 * Ctrl-C) may still have been carried out: AWS received the request, the answer was lost or late. So
 * every mutating call of shopctl reads the state back before the step is reported: in effect → DONE,
 * not in effect → NOT DONE, the read-back failing too → UNKNOWN (and the run says which command checks
 * and finishes it). A write answered with an error (access denied, throttled, validation) was refused
 * by AWS: NOT DONE, no read-back needed.
 *
 * A write whose answer was lost can also land AFTER its first read-back: AWS documents no bound on
 * how long a request it received may take to apply, nor (for SSM parameters, health checks, Auto
 * Scaling groups, cluster settings) that a read right after a write sees it. So "not in effect" is
 * read a second time after a short settle, within the same read-back deadline, and what is said is
 * what was seen and when: "not in effect when last read at T; a late write may still land".
 */
import { budget, type CallContext } from '../aws/deadline';
import { describeError, errorKind, StepFailure } from '../aws/errors';
import type { Deps } from '../aws/deps';
import { commandPrefix } from './refusals';

/** Pause between the first read-back that says "not in effect" and the second one. */
export const READ_BACK_SETTLE_MS = 2_000;

/** Part of every outcome of a write read back as not in effect: it may still land later. */
export const MAY_LAND = 'a late write may still land';

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
 * {@link NotInEffect} when the read-back shows it not made, twice (a settle of
 * {@link READ_BACK_SETTLE_MS}, at most half of what is left of the deadline, between the two reads);
 * {@link OutcomeUnknown} when the first read-back fails too.
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
    // One deadline for the whole confirmation: the first read, the settle and the second read.
    const b = budget(d.callTimeoutMs);
    const started = d.now().getTime();
    const left = () => d.callTimeoutMs - (d.now().getTime() - started);
    let readAt: Date;
    try {
      if (await readBack({ signal: b.signal, callTimeoutMs: d.callTimeoutMs })) return 'read-back';
      readAt = d.now();
      // After Ctrl-C the operator wants out: one read-back only.
      const settle = interrupted ? 0 : Math.min(READ_BACK_SETTLE_MS, Math.floor(left() / 2));
      let second = '';
      if (settle > 0) {
        try {
          await d.sleep(settle);
          if (await readBack({ signal: b.signal, callTimeoutMs: Math.max(1, left()) })) return 'read-back';
          readAt = d.now();
          second = ' twice';
        } catch (r) {
          second = ` (a second read ${settle} ms later failed: ${describeError(r, d.profile)})`;
        }
      }
      throw new NotInEffect(
        `${why}; read back${second}: not in effect when last read at ${readAt.toISOString()}; ${MAY_LAND}: ` +
          `run \`${commandPrefix(d)} status\` to see, then the resume or rollback command below`,
        interrupted,
      );
    } catch (r) {
      if (r instanceof NotInEffect) throw r;
      throw new OutcomeUnknown(
        `${why}; reading it back failed too (${describeError(r, d.profile)}): the change may or may not have been made`,
        interrupted,
      );
    } finally {
      b.clear();
    }
  }
}

/** The detail a step adds when its write was confirmed only by reading it back. */
export const LATE = 'the answer did not come in time; read back: in effect';
