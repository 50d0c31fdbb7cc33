import { StepProgress } from '../output/progress';
import { duration } from '../output/table';
import { describeError } from './errors';
import type { Deps } from './deps';

export interface StepContext {
  /** Progress text shown next to the running step. */
  update(text: string): void;
  /** Call once something was really changed, so a later failure is reported as a partial change. */
  changed(): void;
  warn(text: string): void;
}

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
  readonly status: 'done' | 'skipped' | 'failed' | 'not-run';
  readonly elapsedMs: number;
  readonly detail?: string;
  readonly error?: string;
}

export interface RunOutcome {
  readonly ok: boolean;
  readonly results: StepResult[];
  /** Something changed in this run. */
  readonly changed: boolean;
  readonly failedIndex: number | null;
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

/** Runs steps in order, skipping those already done, stopping at the first failure. */
export async function runSteps(d: Deps, steps: readonly Step[], progress: StepProgress): Promise<RunOutcome> {
  const t0 = d.now().getTime();
  const results: StepResult[] = [];
  const warnings: string[] = [];
  let changed = false;
  let failedIndex: number | null = null;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (failedIndex !== null) {
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
      const error = describeError(e, d.profile);
      const elapsedMs = d.now().getTime() - start;
      results.push({ title: s.title, region: s.region, status: 'failed', elapsedMs, error });
      progress.finish(i, 'failed', error);
      failedIndex = i;
    }
  }
  progress.close();
  return {
    ok: failedIndex === null,
    results,
    changed,
    failedIndex,
    warnings,
    elapsedMs: d.now().getTime() - t0,
  };
}

/** What was done and what was not, one line per step. */
export function formatOutcome(results: readonly StepResult[]): string {
  const word = { done: 'DONE    ', skipped: 'SKIPPED ', failed: 'FAILED  ', 'not-run': 'NOT DONE' } as const;
  return results
    .map(
      (r, i) =>
        `  ${word[r.status]} ${i + 1}. ${r.title}${r.status === 'done' ? ` (${duration(r.elapsedMs)})` : ''}` +
        `${r.error ? `: ${r.error}` : r.detail ? `: ${r.detail}` : ''}`,
    )
    .join('\n');
}
