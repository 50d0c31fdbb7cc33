import { ActionSpec, executeAction } from '../action/action';
import { accountRefusal, commandPrefix, type Refusal } from '../action/refusals';
import { StepFailure, describeError, errorKind } from '../aws/errors';
import { type Confirmation, LATE, OutcomeUnknown } from '../action/readBack';
import { promiseFlagArgs } from './promises';
import {
  buildStatus,
  distributionId,
  invalidatedSince,
  invalidateStatus,
  NoticeInput,
  putStatus,
  statusTargets,
  readNotice,
  regionStates,
  sameNotice,
  STATUS_KEY,
} from './notice';
import type { Status } from '../../lib/contract/status';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

export interface NoticeRequest {
  readonly command: 'notice set' | 'notice clear' | 'notice payment-incident';
  readonly input: NoticeInput;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly args: readonly string[];
}

/** Quotes one argument for a POSIX shell, so printed commands run as printed. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that shows `status` (or clears the page when it is none), runnable as printed. */
function noticeCommand(d: Deps, status: Status | undefined): string {
  if (!status || status.severity === 'none') return `${commandPrefix(d)} notice clear --yes`;
  return [
    `${commandPrefix(d)} notice set`,
    `--severity ${status.severity}`,
    `--ko ${shellQuote(status.message.ko)}`,
    `--en ${shellQuote(status.message.en)}`,
    ...(status.nextUpdateAt ? [`--eta ${status.nextUpdateAt}`] : []),
    ...(status.expectedBackAt ? [`--back-at ${status.expectedBackAt}`] : []),
    ...promiseFlagArgs(status.promises, shellQuote),
    '--yes',
  ].join(' ');
}

/**
 * Writes status.json (validated against the contract) and invalidates it on CloudFront, through the
 * step runner: plan, confirmation (what customers see changes), deadlines, Ctrl-C, audit. `clear` writes
 * severity "none" rather than deleting the object, so the page always finds a valid document.
 */
export async function applyNotice(d: Deps, req: NoticeRequest): Promise<number> {
  // A dry run without credentials still shows the document: the region states come from each
  // region's public /healthz; only the account check and the current notice are skipped.
  let offline = false;
  const [current, regions, account] = await Promise.all([
    readNotice(d),
    regionStates(d),
    accountRefusal(d).catch((e: unknown) => {
      if (!req.dryRun || errorKind(e) !== 'credentials') throw e;
      offline = true;
      return undefined;
    }),
  ]);
  let distId: string | undefined;
  const warnings: string[] = [];
  if (offline) {
    warnings.push(
      'offline preview (no AWS credentials): skipped the live checks of the account and of the notice shown now; ' +
        'region states are from the public /healthz',
    );
  } else if (current.state === 'unknown')
    warnings.push(`could not read the current notice: ${current.error}`);
  const clearing = req.input.severity === 'none';
  const desired = buildStatus(req.input, regions, d.now());
  const inEffect = clearing
    ? current.state === 'none'
    : !!current.status && current.state === 'active' && sameNotice(current.status, desired);
  const target = statusTargets(d)
    .map((t) => `s3://${t.bucket}/${STATUS_KEY} (${t.region})`)
    .join(' and ');
  // The same document may have been written by a run whose invalidation never went out (throttled,
  // cut): then only the invalidation is left to do.
  let invalidated = inEffect;
  if (inEffect && current.status) {
    distId = await distributionId(d).catch(() => undefined);
    invalidated = !!distId && (await invalidatedSince(d, distId, current.status.updatedAt));
  }
  const steps: Step[] = [
    {
      title: `Write ${target}`,
      region: d.globalRegion,
      changes: `PutObject ${STATUS_KEY}: ${clearing ? 'severity none (no incident shown)' : `${desired.severity} notice "${desired.message.en}"`}`,
      expected: 'seconds',
      kind: 'change',
      done: inEffect,
      async run(ctx) {
        distId = await distributionId(d);
        const how = await putStatus(d, desired, () => ctx.changed());
        const what = clearing
          ? 'severity none'
          : `${desired.severity}, next update ${desired.nextUpdateAt ?? 'not promised'}${desired.expectedBackAt ? `, expected back ${desired.expectedBackAt}` : ''}`;
        return how === 'read-back' ? `${what} (${LATE})` : what;
      },
    },
    {
      title: `Invalidate /${STATUS_KEY} on the outage CloudFront distribution`,
      region: d.globalRegion,
      changes: `CreateInvalidation /${STATUS_KEY}`,
      expected: 'seconds; visitors see it within about a minute',
      kind: 'change',
      done: invalidated,
      async run(ctx) {
        const id = distId ?? (await distributionId(d));
        let how: Confirmation;
        try {
          how = await invalidateStatus(d, id);
        } catch (e) {
          const text =
            `${describeError(e, d.profile)}. status.json is written; cached copies expire within about 30 s ` +
            `(max-age=30). To finish now: aws cloudfront create-invalidation --distribution-id ${id} --paths /${STATUS_KEY}`;
          throw e instanceof OutcomeUnknown ? new OutcomeUnknown(text, e.interrupted) : new StepFailure(text);
        }
        ctx.changed();
        return `distribution ${id}${how === 'read-back' ? ` (${LATE})` : ''}`;
      },
    },
  ];
  const refusals: Refusal[] = account ? [account] : [];
  const spec: ActionSpec = {
    command: req.command,
    args: req.args,
    title:
      `Plan: ${clearing ? 'clear the notice on the outage page' : 'show this notice on the outage page'} ` +
      `(customers see it within about a minute):\n${JSON.stringify(desired, null, 2)}`,
    steps,
    refusals,
    warnings,
    dryRun: req.dryRun,
    yes: req.yes,
    force: req.force,
    alreadyInEffect: clearing
      ? 'no notice is shown'
      : `the same notice has been shown since ${current.status?.updatedAt ?? 'earlier'}`,
    resume: noticeCommand(d, desired),
    rollback: noticeCommand(d, current.status),
    rollbackNote:
      current.status && current.status.severity !== 'none'
        ? 'shows the previous notice again'
        : 'shows no notice',
  };
  return executeAction(d, spec);
}
