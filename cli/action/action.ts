import { StepProgress } from '../output/progress';
import { duration, painter } from '../output/table';
import { writeAudit } from '../aws/audit';
import { EXIT } from '../aws/errors';
import { MAY_LAND } from './readBack';
import { formatOutcome, formatPlan, runSteps, Step } from './steps';
import type { Deps } from '../aws/deps';
import type { Refusal } from './refusals';

export interface ActionSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly title: string;
  readonly steps: readonly Step[];
  readonly refusals: readonly Refusal[];
  readonly warnings: readonly string[];
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly alreadyInEffect: string;
  /** Exact command that resumes (the same command: it is idempotent), runnable as printed. */
  readonly resume: string;
  /** Exact command that undoes what was done, runnable as printed. */
  readonly rollback: string;
  /** One line on what the rollback command does. */
  readonly rollbackNote?: string;
}

/** The prompt was cancelled (Ctrl-C in the prompt, or the run was interrupted while it was open). */
export function isPromptCancel(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError';
}

/**
 * Asks for confirmation unless --yes. Returns an exit code when the run must stop (nothing changed), or
 * null to go on. Ctrl-C at the prompt reads and exits exactly like answering "no".
 */
export async function confirmOrStop(
  d: Deps,
  yes: boolean,
  audit: (result: string, detail?: string) => Promise<unknown>,
  question = 'Run these steps now?',
): Promise<number | null> {
  if (yes) return null;
  if (!d.interactive) {
    d.err('Refusing: no terminal to confirm on. Re-run with --yes to confirm. Nothing changed.');
    await audit('refused', 'no TTY and no --yes');
    return EXIT.usage;
  }
  let answer: boolean;
  try {
    answer = await d.confirm(question, d.signal);
  } catch (e) {
    if (!isPromptCancel(e) && !d.signal.aborted) throw e;
    answer = false;
  }
  if (!answer || d.signal.aborted) {
    d.out('Aborted. Nothing changed.');
    await audit('aborted');
    return EXIT.usage;
  }
  return null;
}

/** Prints how to resume and how to roll back, each command alone on its line so it can be pasted. */
function printHints(d: Deps, spec: ActionSpec, halfway: boolean, unknown: boolean): void {
  d.err(
    unknown
      ? `To find out and finish (it reads every step back and skips what is in effect): ${spec.resume}`
      : `To resume (the command is idempotent): ${spec.resume}`,
  );
  if (halfway || unknown) {
    d.err(`To roll back instead: ${spec.rollback}`);
    if (spec.rollbackNote) d.err(`  (${spec.rollbackNote})`);
  }
}

/**
 * The step runner every action goes through: shows the plan, applies refusals, dry-run and
 * confirmation, runs the steps under the run's deadlines and Ctrl-C, and always ends with the list of
 * steps DONE / NOT DONE, the resume and rollback commands when something is left half done, and an
 * audit record (local, then remote under its own deadline). When every change is already in effect it
 * still runs the verify steps, and says "already in effect" only if they pass. Returns the exit code.
 */
export async function executeAction(d: Deps, spec: ActionSpec): Promise<number> {
  const p = painter(d.color);
  const audit = (result: string, steps: readonly unknown[] = [], detail?: string) =>
    writeAudit(d, { command: spec.command, args: spec.args, result, steps, ...(detail ? { detail } : {}) });
  for (const w of spec.warnings) d.out(p.yellow(`warning: ${w}`));

  const pending = spec.steps.filter((s) => s.kind !== 'verify' && !s.done);
  const verifying = pending.length === 0;
  if (verifying && spec.dryRun) {
    const checks = spec.steps.filter((s) => s.kind === 'verify').map((s) => s.title);
    d.out(
      `Dry run: nothing to change (${spec.alreadyInEffect}).` +
        (checks.length ? ` The command would verify: ${checks.join('; ')}.` : ''),
    );
    await audit('dry-run');
    return EXIT.ok;
  }
  if (verifying) {
    d.out(`Every change is already in effect (${spec.alreadyInEffect}); verifying:`);
  } else {
    d.out(p.bold(spec.title));
    d.out(formatPlan(spec.steps));
    d.out('');

    // part of the change was made by an earlier run (not just a baseline that is normally true)
    const resuming = spec.steps.some((s) => s.kind === 'change' && s.done && !s.baseline);
    const applicable = spec.refusals.filter((r) => !(resuming && r.onlyBeforeStart));
    for (const r of spec.refusals.filter((x) => !applicable.includes(x))) {
      d.out(p.yellow(`warning: ${r.reason} (not a refusal: resuming a change an earlier run started)`));
    }
    const hard = applicable.filter((r) => !r.forceable);
    const soft = applicable.filter((r) => r.forceable);
    if (hard.length > 0 || (soft.length > 0 && !spec.force)) {
      for (const r of hard) d.err(p.red(`Refusing: ${r.reason}`));
      for (const r of soft) d.err(p.red(`Refusing: ${r.reason}`));
      if (hard.length === 0) d.err('Nothing changed. If you are sure, re-run with --force.');
      else d.err('Nothing changed.');
      await audit('refused', [], applicable.map((r) => r.reason).join('; '));
      return EXIT.usage;
    }
    for (const r of soft) d.out(p.yellow(`Overridden with --force: ${r.reason}`));

    if (spec.dryRun) {
      d.out(`Dry run: nothing changed. Would run: ${pending.map((s) => s.title).join('; ')}.`);
      await audit(
        'dry-run',
        spec.steps.map((s) => ({ title: s.title, region: s.region, done: s.done })),
      );
      return EXIT.ok;
    }

    const stop = await confirmOrStop(d, spec.yes, (result, detail) => audit(result, [], detail));
    if (stop !== null) return stop;
  }

  const progress = new StepProgress(
    spec.steps.map((s) => s.title),
    d.write,
    d.ttyOut,
    () => d.now().getTime(),
    p,
  );
  const outcome = await runSteps(d, spec.steps, progress);
  for (const w of outcome.warnings) d.err(p.yellow(`warning: ${w}`));
  if (outcome.ok) {
    // every step that could change something found it already in effect (a second run of the same
    // command): say so, never "Done"
    if (verifying || !outcome.changed) {
      d.out(`Already in effect: ${spec.alreadyInEffect}; verified. Nothing changed.`);
      if (!verifying) d.out(formatOutcome(outcome.results));
      await audit('already-in-effect', outcome.results);
    } else {
      d.out(p.green(`Done in ${duration(outcome.elapsedMs)}.`));
      d.out(formatOutcome(outcome.results));
      await audit('ok', outcome.results);
    }
    return EXIT.ok;
  }
  const unknownAt = outcome.results.findIndex((r) => r.status === 'unknown');
  const mayLand = outcome.results.some((r) => r.mayLand);
  const unknown = unknownAt >= 0;
  // An earlier run made the changes when we only verify: a failed verification is a half-switched state.
  const halfway =
    verifying ||
    outcome.changed ||
    outcome.results.some((r, i) => r.status === 'skipped' && !spec.steps[i].baseline);
  if (outcome.interrupted) {
    const at = outcome.failedIndex ?? outcome.results.findIndex((r) => r.status === 'not-run');
    d.err(
      p.red(
        `INTERRUPTED (Ctrl-C) at step ${at + 1}: ` +
          (unknown
            ? `step ${unknownAt + 1} is UNKNOWN (its answer did not come and it could not be read back).`
            : halfway
              ? 'the change is NOT complete (partial state).'
              : mayLand
                ? `nothing was in effect when read back, but ${MAY_LAND}.`
                : 'nothing was changed.'),
      ),
    );
  } else if (unknown) {
    d.err(
      p.red(
        `UNKNOWN: step ${unknownAt + 1} got no answer and could not be read back: it may or may not have been made.`,
      ),
    );
  } else if (verifying) {
    d.err(
      p.red(`NOT in effect: the changes were made earlier, but the verification failed (partial state).`),
    );
  } else {
    d.err(
      p.red(
        halfway
          ? 'STOPPED: the change is NOT complete (partial state).'
          : mayLand
            ? `FAILED: nothing was in effect when read back, but ${MAY_LAND} (see the step below).`
            : 'FAILED: nothing was changed.',
      ),
    );
  }
  d.err(formatOutcome(outcome.results));
  // a write that may still land could need undoing as much as one that did
  printHints(d, spec, halfway || mayLand, unknown);
  await audit(
    outcome.interrupted ? 'interrupted' : unknown ? 'unknown' : halfway ? 'partial' : 'failed',
    outcome.results,
  );
  if (outcome.interrupted) return EXIT.interrupted;
  if (unknown) return EXIT.unknown;
  return halfway ? EXIT.partial : EXIT.failed;
}
