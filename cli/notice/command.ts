import { UsageError } from '../aws/errors';
import { parseEta } from './notice';
import { applyNotice } from './apply';
import { parsePromises, PromiseFlags } from './promises';
import type { Deps } from '../aws/deps';

export interface NoticeSetFlags extends PromiseFlags {
  readonly ko: string;
  readonly en: string;
  readonly eta?: string;
  readonly severity?: string;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
}

const SEVERITIES = ['info', 'minor', 'major'] as const;

export async function noticeSetCommand(d: Deps, f: NoticeSetFlags, args: readonly string[]): Promise<number> {
  const severity = (f.severity ?? 'major') as (typeof SEVERITIES)[number];
  if (!SEVERITIES.includes(severity)) {
    throw new UsageError(`--severity must be one of ${SEVERITIES.join(', ')} (got "${f.severity}")`);
  }
  if (!f.ko.trim() || !f.en.trim()) throw new UsageError('--ko and --en must both be non-empty');
  const promises = parsePromises(f);
  return applyNotice(d, {
    command: 'notice set',
    input: {
      severity,
      ko: f.ko,
      en: f.en,
      nextUpdateAt: f.eta ? parseEta(f.eta, d.now()) : null,
      ...(promises ? { promises } : {}),
    },
    dryRun: !!f.dryRun,
    yes: !!f.yes,
    force: !!f.force,
    args,
  });
}

export async function noticeClearCommand(
  d: Deps,
  f: { dryRun?: boolean; yes?: boolean; force?: boolean },
  args: readonly string[],
): Promise<number> {
  return applyNotice(d, {
    command: 'notice clear',
    input: { severity: 'none', ko: '', en: '', nextUpdateAt: null },
    dryRun: !!f.dryRun,
    yes: !!f.yes,
    force: !!f.force,
    args,
  });
}
