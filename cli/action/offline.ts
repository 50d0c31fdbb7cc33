/**
 * Offline previews: a `--dry-run` without credentials still shows the plan, built from the config
 * alone, and says which live checks it could not make. Nothing is read from AWS and nothing changes.
 */
import { writeAudit } from '../aws/audit';
import { errorKind, EXIT } from '../aws/errors';
import type { Deps } from '../aws/deps';

/** One planned step, as far as the config tells it. */
export interface OfflineStep {
  readonly title: string;
  readonly region: string;
  readonly changes: string;
}

/** Prints the offline plan and the skipped live checks, audits it locally; exit 0. */
export async function offlinePreview(
  d: Deps,
  command: string,
  args: readonly string[],
  title: string,
  steps: readonly OfflineStep[],
  skipped: readonly string[],
): Promise<number> {
  d.out(`${title} (offline preview: no AWS credentials; from config "${d.config.configName}" alone)`);
  steps.forEach((s, i) => {
    d.out(`  ${i + 1}. ${s.title}`);
    d.out(`     region: ${s.region}; changes: ${s.changes}`);
  });
  d.out('');
  d.out('Live checks skipped (they need credentials): ' + skipped.join('; ') + '.');
  d.out('Steps already in effect are skipped by a real run; refusals are decided then. Nothing changed.');
  await writeAudit(
    d,
    { command, args, result: 'dry-run', steps: [], detail: 'offline preview' },
    { remote: false },
  );
  return EXIT.ok;
}

/**
 * Plans with `plan`; a `--dry-run` whose planning fails for want of credentials shows `offline()`
 * instead. Any other error, and any failure of a real run, is thrown as it is.
 */
export async function planOrPreview<T>(
  dryRun: boolean,
  plan: () => Promise<T>,
  offline: () => Promise<number>,
): Promise<{ readonly spec: T } | { readonly exitCode: number }> {
  try {
    return { spec: await plan() };
  } catch (e) {
    if (!dryRun || errorKind(e) !== 'credentials') throw e;
    return { exitCode: await offline() };
  }
}
