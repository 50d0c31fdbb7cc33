import { DRAIN_VOTES } from '../../lib/failover/health-thresholds';
import { OutcomeUnknown } from '../action/readBack';
import { describeError, StepFailure } from '../aws/errors';
import { HolderWrite, isDrained, isServing, SwitchState, writeSwitch } from './switch';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

function summary(writes: readonly HolderWrite[]): string {
  return writes.map((w) => `${w.holder} ${w.result}${w.late ? ' (read back)' : ''}`).join(', ');
}

/** No holder confirmed the write: UNKNOWN when one may have taken it (no answer, no read-back). */
function noneTook(d: Deps, writes: readonly HolderWrite[], message: (why: string) => string): never {
  const why = writes.map((w) => `${w.holder}: ${w.error}`).join('; ');
  if (writes.some((w) => w.result === 'unknown'))
    throw new OutcomeUnknown(message(why).replace('no holder took', 'no holder confirmed'), d.signal.aborted);
  throw new StepFailure(message(why));
}

/**
 * Step that drains `target`. Route 53 takes a region out on {@link DRAIN_VOTES} copies saying
 * "drained" (or silent), and each holder is one copy: the step succeeds when that many holders took
 * it, or when at least one did and holders that cannot be reached make up the rest (a region that
 * cannot be reached is most likely silent to Route 53 too, which counts as "drained"; a warning says
 * so). A holder that answered with an error, or whose copy reads back "not in effect", leaves a vote
 * for "serving": fewer votes fail the step (NOT DONE). When the missing votes hang on holders whose
 * write got no answer and could not be read back either, the step is UNKNOWN.
 */
export function drainStep(d: Deps, target: string, state: SwitchState, resume: string): Step {
  const holders = d.names.switchHolders(target);
  return {
    title: `Drain ${target}`,
    region: holders.join(', '),
    changes: `SSM ${d.names.switchParameter(target)} = drained and metric ${d.names.switchNamespace()} Drained=1 in each holder`,
    expected: `seconds; Route 53 moves traffic off it in about 1-3 min once ${DRAIN_VOTES} holders say drained`,
    kind: 'change',
    done: isDrained(state),
    async run(ctx) {
      const writes = await writeSwitch(d, target, 'drained');
      const ok = writes.filter((w) => w.result === 'ok');
      if (ok.length > 0) ctx.changed();
      for (const w of writes) if (w.warning) ctx.warn(`${w.holder}: ${w.warning}`);
      if (ok.length === 0) noneTook(d, writes, (why) => `no holder took the drain: ${why}`);
      const silent = writes.filter((w) => w.result === 'unreachable');
      const unknown = writes.filter((w) => w.result === 'unknown');
      if (ok.length + silent.length < DRAIN_VOTES) {
        const message = `only ${ok.map((w) => w.holder).join(', ')} took the drain (${writes
          .filter((w) => w.result === 'failed' || w.result === 'unknown')
          .map((w) => `${w.holder}: ${w.error}`)
          .join('; ')}): ${target} leaves DNS on ${DRAIN_VOTES} holders saying drained; re-run "${resume}"`;
        // Enough votes only if a holder that gave no answer, and could not be read back, took it.
        if (ok.length + silent.length + unknown.length >= DRAIN_VOTES)
          throw new OutcomeUnknown(message, d.signal.aborted);
        throw new StepFailure(message);
      }
      for (const w of writes.filter((x) => x.result !== 'ok'))
        ctx.warn(
          `holder ${w.holder} ${w.result === 'unknown' ? 'may not be' : 'not'} drained (${w.error})${ok.length < DRAIN_VOTES ? `; the drain counts on ${w.holder} being silent to Route 53 too` : ''}; re-run "${resume}" to complete it`,
        );
      return `drained in ${ok.map((w) => `${w.holder}${w.late ? ' (read back)' : ''}`).join(', ')}`;
    },
  };
}

/**
 * Step that makes sure `target` is served. Every holder that answers must take it, and at least one must:
 * an undrain that reached no holder leaves whatever a holder last said (maybe "drained") in force, so it
 * is a failure, never a success. When `target`'s switch could not be read at all while planning, the
 * step is skipped only for a baseline check (see failover) and says so in a warning.
 */
export function undrainStep(d: Deps, target: string, state: SwitchState, baseline: boolean): Step {
  const holders = d.names.switchHolders(target);
  return {
    title: `Make sure ${target} is not drained`,
    region: holders.join(', '),
    changes: `SSM ${d.names.switchParameter(target)} = serving and metric Drained=0 in each holder`,
    expected: 'seconds; Route 53 sees it healthy again in about 1-3 min',
    kind: 'change',
    done: isServing(state),
    baseline,
    async run(ctx) {
      const writes = await writeSwitch(d, target, 'serving');
      const ok = writes.filter((w) => w.result === 'ok');
      if (ok.length > 0) ctx.changed();
      for (const w of writes) if (w.warning) ctx.warn(`${w.holder}: ${w.warning}`);
      const failed = writes.filter((w) => w.result === 'failed');
      if (failed.length > 0) {
        throw new StepFailure(
          `not undrained in ${failed.map((w) => `${w.holder} (${w.error})`).join('; ')}; any holder saying drained keeps ${target} drained`,
        );
      }
      if (ok.length === 0)
        noneTook(
          d,
          writes,
          (why) => `no holder took the undrain (${why}); ${target} stays drained wherever a holder says so`,
        );
      for (const w of writes.filter((x) => x.result === 'unreachable' || x.result === 'unknown')) {
        ctx.warn(
          `holder ${w.holder} did not answer (${w.error}); if its parameter says drained when it is back, re-run this command`,
        );
      }
      return summary(writes);
    },
  };
}

export function errorText(d: Deps, e: unknown): string {
  return describeError(e, d.profile);
}
