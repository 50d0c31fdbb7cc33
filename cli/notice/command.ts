import { UsageError } from '../aws/errors';
import {
  formatProblems,
  noticeTextProblems,
  parseNoticeBackAt,
  parseNoticeEta,
} from '../../lib/contract/notice-input';
import { applyNotice } from './apply';
import { parsePromises, PromiseFlags } from './promises';
import type { Deps } from '../aws/deps';

export interface NoticeSetFlags extends PromiseFlags {
  readonly ko: string;
  readonly en: string;
  readonly eta?: string;
  /** When service is expected back: ISO time or +2h (status.json `expectedBackAt`). */
  readonly backAt?: string;
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
  // Validated like config, before any AWS call: every problem at once, each with flag, value, fix.
  const now = d.now();
  const eta = f.eta === undefined ? undefined : parseNoticeEta(f.eta, now);
  const backAt = f.backAt === undefined ? undefined : parseNoticeBackAt(f.backAt, now);
  const problems = [
    ...noticeTextProblems('--ko', f.ko),
    ...noticeTextProblems('--en', f.en),
    ...(eta?.problem ? [eta.problem] : []),
    ...(backAt?.problem ? [backAt.problem] : []),
  ];
  if (problems.length) throw new UsageError(formatProblems(problems));
  const promises = parsePromises(f);
  return applyNotice(d, {
    command: 'notice set',
    input: {
      severity,
      ko: f.ko,
      en: f.en,
      nextUpdateAt: eta?.iso ?? null,
      ...(backAt?.iso ? { expectedBackAt: backAt.iso } : {}),
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
