import { writeAudit } from './audit';
import { describeError, EXIT } from './errors';
import {
  buildStatus,
  distributionId,
  invalidateStatus,
  NoticeInput,
  putStatus,
  readNotice,
  regionStates,
  sameNotice,
  STATUS_KEY,
} from './notice';
import type { Deps } from './deps';

export interface NoticeRequest {
  readonly command: 'notice set' | 'notice clear';
  readonly input: NoticeInput;
  readonly dryRun: boolean;
  readonly args: readonly string[];
}

/**
 * Writes status.json (validated against the contract) and invalidates it on CloudFront. `clear` writes
 * severity "none" rather than deleting the object, so the page always finds a valid document.
 */
export async function applyNotice(d: Deps, req: NoticeRequest): Promise<number> {
  const steps: { step: string; result: string; error?: string }[] = [];
  const audit = (result: string, detail?: string) =>
    writeAudit(d, { command: req.command, args: req.args, result, steps, ...(detail ? { detail } : {}) });
  const current = await readNotice(d);
  if (current.state === 'unknown') d.err(`warning: could not read the current notice: ${current.error}`);
  const clearing = req.input.severity === 'none';
  if (clearing && current.state === 'none') {
    d.out('Already in effect: no notice is shown. Nothing changed.');
    await audit('already-in-effect');
    return EXIT.ok;
  }
  const desired = buildStatus(req.input, await regionStates(d), d.now());
  if (!clearing && current.status && sameNotice(current.status, desired)) {
    d.out(
      `Already in effect: the same notice has been shown since ${current.status.updatedAt}. Nothing changed.`,
    );
    await audit('already-in-effect');
    return EXIT.ok;
  }
  const target = `s3://${d.names.outageBucket()}/${STATUS_KEY} (${d.globalRegion})`;
  if (req.dryRun) {
    d.out(`Dry run: nothing changed. Would write ${target}:\n${JSON.stringify(desired, null, 2)}`);
    d.out('and then invalidate /status.json on the outage CloudFront distribution.');
    await audit('dry-run');
    return EXIT.ok;
  }
  let distId: string;
  try {
    distId = await distributionId(d);
    await putStatus(d, desired);
    steps.push({ step: `write ${target}`, result: 'done' });
  } catch (e) {
    const msg = describeError(e, d.profile);
    d.err(`FAILED: nothing was changed: ${msg}`);
    d.err(`To retry: re-run the same command.`);
    await audit('failed', msg);
    return EXIT.failed;
  }
  try {
    await invalidateStatus(d, distId);
    steps.push({ step: `invalidate /${STATUS_KEY} on ${distId}`, result: 'done' });
  } catch (e) {
    const msg = describeError(e, d.profile);
    steps.push({ step: `invalidate /${STATUS_KEY} on ${distId}`, result: 'failed', error: msg });
    d.err(`PARTIAL: status.json was written but the CloudFront invalidation failed: ${msg}`);
    d.err(`Cached copies expire within about 30 s (max-age=30). To finish now:`);
    d.err(`  aws cloudfront create-invalidation --distribution-id ${distId} --paths /${STATUS_KEY}`);
    await audit('partial', msg);
    return EXIT.partial;
  }
  d.out(
    clearing
      ? 'Notice cleared: the outage page shows no incident (severity none).'
      : `Notice set (${desired.severity}); next update ${desired.nextUpdateAt ?? 'not promised'}. Visible within about a minute.`,
  );
  await audit('ok');
  return EXIT.ok;
}
