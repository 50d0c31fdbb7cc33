import { StepProgress } from '../output/progress';
import { duration } from '../output/table';
import { isInterrupted } from '../aws/deadline';
import { describeError } from '../aws/errors';
import { MAY_LAND, NotInEffect, OutcomeUnknown } from './readBack';
import type { Deps } from '../aws/deps';

/**
 * What a running step gets. Network calls made through `aws(d, …)`, `getHealthz` and `d.sleep` already
 * obey the run's deadlines and Ctrl-C; `signal` is for anything else a step waits on.
 */
export interface StepContext {
  /** Aborted when the operator interrupts the run. */
  readonly signal: AbortSignal;
  /** Progress text shown next to the running step. */
  update(text: string): void;
  /** Call once something was really changed, so a later failure is reported as a partial change. */
  changed(): void;
  warn(text: string): void;
}

/**
 * `change` alters something (it makes the run "partial" once started), `wait` polls until a change has
 * taken effect, `verify` checks the result (verify steps also run when every change is already in
 * effect, so "already in effect" is never claimed without them).
 */
export type StepKind = 'change' | 'wait' | 'verify';

export interface Step {
  readonly title: string;
  readonly region: string;
  /** What the step changes ("nothing (read-only)" for checks). */
  readonly changes: string;
  readonly expected: string;
  readonly kind: StepKind;
  /** Already in effect before running: the step is skipped. */
  readonly done: boolean;
  /** Its "done" state is the normal state (so skipping it does not mean an earlier run changed something). */
  readonly baseline?: boolean;
  run(ctx: StepContext): Promise<string | void>;
}

export interface StepResult {
  readonly title: string;
  readonly region: string;
  /**
   * `unknown`: a change whose answer did not come (deadline, Ctrl-C) and whose read-back could not tell;
   * `interrupted`: Ctrl-C arrived while a step that changes nothing ran.
   */
  readonly status: 'done' | 'skipped' | 'failed' | 'unknown' | 'interrupted' | 'not-run';
  readonly elapsedMs: number;
  readonly detail?: string;
  readonly error?: string;
  /** A write of the step got no answer and read back as not in effect: it may still land later. */
  readonly mayLand?: boolean;
}

export interface RunOutcome {
  readonly ok: boolean;
  readonly results: StepResult[];
  /** Something changed in this run. */
  readonly changed: boolean;
  readonly failedIndex: number | null;
  /** Ctrl-C stopped the run (at `failedIndex`, or between steps). */
  readonly interrupted: boolean;
  readonly warnings: string[];
  readonly elapsedMs: number;
}

/** Formats the numbered plan: what each step changes, where, and how long it should take. */
export function formatPlan(steps: readonly Step[]): string {
  return steps
    .map((s, i) =>
      [
        `  ${i + 1}. ${s.title}${s.done ? '   [already done, skipped]' : ''}`,
        `     region: ${s.region}; changes: ${s.changes}`,
        `     expected: ${s.expected}`,
      ].join('\n'),
    )
    .join('\n');
}

/**
 * Runs steps in order, skipping those already done, stopping at the first failure or at Ctrl-C (checked
 * between steps, and inside a step through its calls' signal). Never throws.
 */
export async function runSteps(d: Deps, steps: readonly Step[], progress: StepProgress): Promise<RunOutcome> {
  const t0 = d.now().getTime();
  const results: StepResult[] = [];
  const warnings: string[] = [];
  let changed = false;
  let failedIndex: number | null = null;
  let interrupted = false;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (failedIndex === null && !interrupted && d.signal.aborted && !s.done) interrupted = true;
    if (failedIndex !== null || interrupted) {
      results.push({ title: s.title, region: s.region, status: 'not-run', elapsedMs: 0 });
      progress.finish(i, 'not-run');
      continue;
    }
    if (s.done) {
      results.push({
        title: s.title,
        region: s.region,
        status: 'skipped',
        elapsedMs: 0,
        detail: 'already done',
      });
      progress.finish(i, 'skipped', 'already done');
      continue;
    }
    const start = d.now().getTime();
    progress.start(i);
    const ctx: StepContext = {
      signal: d.signal,
      update: (text) => progress.detail(i, text),
      changed: () => {
        changed = true;
      },
      warn: (text) => {
        warnings.push(`step ${i + 1} (${s.title}): ${text}`);
        progress.detail(i, `warning: ${text}`);
      },
    };
    try {
      const detail = (await s.run(ctx)) ?? undefined;
      const elapsedMs = d.now().getTime() - start;
      results.push({
        title: s.title,
        region: s.region,
        status: 'done',
        elapsedMs,
        ...(detail ? { detail } : {}),
      });
      progress.finish(i, 'done', detail ?? '');
    } catch (e) {
      const elapsedMs = d.now().getTime() - start;
      const cut = e instanceof OutcomeUnknown || e instanceof NotInEffect ? e.interrupted : false;
      // Ctrl-C cut a change that did no read-back of its own: it may have landed
      if (e instanceof OutcomeUnknown || (s.kind === 'change' && isInterrupted(e))) {
        // the write may have landed: never "nothing changed"; the resume command reads and finishes it
        const error =
          e instanceof OutcomeUnknown
            ? e.message
            : 'interrupted (Ctrl-C) while running: the change may or may not have reached AWS; the resume command checks';
        results.push({ title: s.title, region: s.region, status: 'unknown', elapsedMs, error });
        progress.finish(i, 'unknown', error);
        changed = true;
        if (cut || isInterrupted(e) || d.signal.aborted) interrupted = true;
      } else if (isInterrupted(e)) {
        const error = 'interrupted (Ctrl-C) while running; nothing is changed by this step';
        results.push({ title: s.title, region: s.region, status: 'interrupted', elapsedMs, error });
        progress.finish(i, 'interrupted', error);
        interrupted = true;
      } else {
        const error = describeError(e, d.profile);
        // the step's message carries the read-back's words wherever a holder's write is quoted
        const mayLand = error.includes(MAY_LAND);
        results.push({
          title: s.title,
          region: s.region,
          status: 'failed',
          elapsedMs,
          error,
          ...(mayLand ? { mayLand } : {}),
        });
        progress.finish(i, 'failed', error);
        if (cut || d.signal.aborted) interrupted = true;
      }
      failedIndex = i;
    }
  }
  progress.close();
  return {
    ok: failedIndex === null && !interrupted,
    results,
    changed,
    failedIndex,
    interrupted,
    warnings,
    elapsedMs: d.now().getTime() - t0,
  };
}

/**
 * What was done and what was not, one line per step: DONE (made now, or already in effect and
 * skipped), NOT DONE (refused, failed, read back as not made, or not reached) or UNKNOWN (the answer
 * did not come and the read-back could not tell).
 */
export function formatOutcome(results: readonly StepResult[]): string {
  const word = {
    done: 'DONE    ',
    skipped: 'DONE    ',
    failed: 'NOT DONE',
    unknown: 'UNKNOWN ',
    interrupted: 'NOT DONE',
    'not-run': 'NOT DONE',
  } as const;
  return results
    .map(
      (r, i) =>
        `  ${word[r.status]} ${i + 1}. ${r.title}${r.status === 'done' ? ` (${duration(r.elapsedMs)})` : ''}` +
        `${r.error ? `: ${r.error}` : r.detail ? `: ${r.detail}` : r.status === 'not-run' ? ' (not run)' : ''}`,
    )
    .join('\n');
}
