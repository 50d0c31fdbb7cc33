import { StepProgress } from '../output/progress';
import { duration, painter } from '../output/table';
import { writeAudit } from './audit';
import { EXIT } from './errors';
import { formatOutcome, formatPlan, runSteps, Step } from './steps';
import type { Deps } from './deps';

export interface Refusal {
  readonly reason: string;
  /** --force may override it. */
  readonly forceable: boolean;
}

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
  /** Exact command that resumes (the same command: it is idempotent). */
  readonly resume: string;
  readonly rollback: string;
}

/** Shows the plan, applies refusals, confirmation and dry-run, runs the steps, audits; returns the exit code. */
export async function executeAction(d: Deps, spec: ActionSpec): Promise<number> {
  const p = painter(d.color);
  const audit = (result: string, steps: readonly unknown[] = [], detail?: string) =>
    writeAudit(d, { command: spec.command, args: spec.args, result, steps, ...(detail ? { detail } : {}) });
  for (const w of spec.warnings) d.out(p.yellow(`warning: ${w}`));

  const pending = spec.steps.filter((s) => s.kind !== 'verify' && !s.done);
  if (pending.length === 0) {
    d.out(`Already in effect: ${spec.alreadyInEffect}. Nothing changed.`);
    await audit('already-in-effect');
    return EXIT.ok;
  }

  d.out(p.bold(spec.title));
  d.out(formatPlan(spec.steps));
  d.out('');

  const hard = spec.refusals.filter((r) => !r.forceable);
  const soft = spec.refusals.filter((r) => r.forceable);
  if (hard.length > 0 || (soft.length > 0 && !spec.force)) {
    for (const r of hard) d.err(p.red(`Refusing: ${r.reason}`));
    for (const r of soft) d.err(p.red(`Refusing: ${r.reason}`));
    if (hard.length === 0) d.err('Nothing changed. If you are sure, re-run with --force.');
    else d.err('Nothing changed.');
    await audit('refused', [], spec.refusals.map((r) => r.reason).join('; '));
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

  if (!spec.yes) {
    if (!d.interactive) {
      d.err('Refusing: no terminal to confirm on. Re-run with --yes to confirm. Nothing changed.');
      await audit('refused', [], 'no TTY and no --yes');
      return EXIT.usage;
    }
    if (!(await d.confirm('Run these steps now?'))) {
      d.out('Aborted. Nothing changed.');
      await audit('aborted');
      return EXIT.usage;
    }
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
    d.out(p.green(`Done in ${duration(outcome.elapsedMs)}.`));
    d.out(formatOutcome(outcome.results));
    await audit('ok', outcome.results);
    return EXIT.ok;
  }
  const halfway =
    outcome.changed || outcome.results.some((r, i) => r.status === 'skipped' && !spec.steps[i].baseline);
  d.err(
    p.red(halfway ? 'STOPPED: the change is NOT complete (partial state).' : 'FAILED: nothing was changed.'),
  );
  d.err(formatOutcome(outcome.results));
  d.err(`To resume (the command is idempotent): ${spec.resume}`);
  if (halfway) d.err(`To roll back instead: ${spec.rollback}`);
  await audit(halfway ? 'partial' : 'failed', outcome.results);
  return halfway ? EXIT.partial : EXIT.failed;
}
