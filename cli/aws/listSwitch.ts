import type { ActionSpec } from '../action/action';
import { LATE, OutcomeUnknown } from '../action/readBack';
import { accountRefusal, commandPrefix, type Refusal } from '../action/refusals';
import type { Step } from '../action/steps';
import type { Deps } from './deps';
import { StepFailure } from './errors';
import {
  readSwitchParameter,
  type SwitchCodec,
  type SwitchWrite,
  writeSwitchParameter,
} from './switchParameter';

/**
 * A regional list switch: an operator switch whose value is a list of what is off (payment providers
 * and methods, notice channels), one SSM parameter in every region. Each region's reader (the shop,
 * the notice dispatcher) polls its own region's copy and keeps the last value when a read fails, so
 * every region must hold the same list: a change reads every region, writes the new list in every
 * region in parallel, and names a region that does not answer, with the command that completes it.
 */

/** One region's copy of a list switch, as read. */
export interface RegionList<E extends string> {
  readonly region: string;
  /** What is off; absent when it could not be read (see `error`). */
  readonly entries?: readonly E[];
  /** The parameter does not exist (the region's stack predates the switch): nothing is off there. */
  readonly missing?: boolean;
  readonly error?: string;
  readonly unreachable?: boolean;
}

/** Reads the list switch `name` in `region`; never throws but for credentials and Ctrl-C. */
export async function readListSwitch<E extends string>(
  d: Deps,
  region: string,
  name: string,
  codec: SwitchCodec<readonly E[]>,
): Promise<RegionList<E>> {
  const { value, ...rest } = await readSwitchParameter(d, region, name, codec);
  return { region, ...(value ? { entries: value } : {}), ...rest };
}

/** Reads the list switch `name` in every region of the config, in parallel. */
export function readListSwitches<E extends string>(
  d: Deps,
  name: string,
  codec: SwitchCodec<readonly E[]>,
): Promise<RegionList<E>[]> {
  return Promise.all(d.config.regions.map((r) => readListSwitch(d, r.name, name, codec)));
}

/** Every entry any region's list holds (sorted), and whether the regions' lists differ. */
export function unionOfLists<E extends string>(
  lists: readonly (readonly E[])[],
): { readonly union: E[]; readonly disagree: boolean } {
  return {
    union: [...new Set(lists.flat())].sort(),
    disagree: new Set(lists.map((l) => JSON.stringify([...l].sort()))).size > 1,
  };
}

/** What a change leaves, as its switch judges it. */
export interface ListSwitchJudgement {
  readonly refusals: readonly Refusal[];
  readonly warnings: readonly string[];
  /** The end of the plan's title: what customers keep (`Notices then go through: sms → email`). */
  readonly leaves: string;
}

/** One change of a list switch: `shopctl channels|payments disable|enable <entry>`. */
export interface ListSwitchChange<E extends string> {
  /** The command word (`channels`, `payments`), for the audit and the printed commands. */
  readonly command: string;
  readonly action: 'disable' | 'enable';
  readonly entry: E;
  /** The entry as titles name it (`channel alimtalk`, `provider:toss`). */
  readonly label: string;
  readonly parameter: string;
  readonly codec: SwitchCodec<readonly E[]>;
  /** What applies the switch in each region (`dispatcher`, `shop`). */
  readonly reader: string;
  /** What brought the parameter, for a region whose stack predates it (`notifications`). */
  readonly feature: string;
  /**
   * Refusals and warnings of the change, judged on the union of every region's list before and after
   * it (an entry off in any region counts as off).
   */
  readonly judge: (before: readonly E[], after: readonly E[]) => ListSwitchJudgement;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
}

const WORD = { done: 'DONE', 'not-done': 'NOT DONE', unknown: 'UNKNOWN' } as const;

/** `ap-northeast-2 DONE`, `ap-northeast-1 NOT DONE: Access denied…` */
export function describeSwitchWrite(w: SwitchWrite): string {
  return `${w.region} ${WORD[w.result]}${w.late ? ` (${LATE})` : ''}${w.error ? `: ${w.error}` : ''}`;
}

/**
 * The action of a list switch change: one step that writes every region in parallel, each write
 * read back when its answer does not come. Every region DONE: exit 0. A region UNKNOWN: the step is
 * UNKNOWN (exit 3), since that region's reader may or may not act on it. A region NOT DONE (refused,
 * read back as not written, or its switch unreadable when planned): the change is partial (exit 4)
 * with the command that completes it. The judge's refusals stop it unless `--force`.
 */
export async function planListSwitch<E extends string>(
  d: Deps,
  c: ListSwitchChange<E>,
  args: readonly string[],
): Promise<ActionSpec> {
  const [regions, account] = await Promise.all([
    readListSwitches(d, c.parameter, c.codec),
    accountRefusal(d),
  ]);
  const apply = (current: readonly E[]): E[] =>
    c.action === 'disable' ? [...current, c.entry] : current.filter((e) => e !== c.entry);
  const inForce = (r: RegionList<E>) =>
    !!r.entries && (c.action === 'disable') === r.entries.includes(c.entry);
  const warnings = regions
    .filter((r) => !r.entries)
    .map((r) => `could not read the switch in ${r.region}: ${r.error}`);
  for (const r of regions.filter((x) => x.missing)) {
    warnings.push(`${r.region} has no ${c.parameter} yet (its stack predates ${c.feature}); this writes it`);
  }
  const before = unionOfLists(regions.map((r) => r.entries ?? [])).union;
  const judged = c.judge(before, apply(before));
  const refusals: Refusal[] = [...(account ? [account] : []), ...judged.refusals];
  warnings.push(...judged.warnings);
  const regionNames = regions.map((r) => r.region);
  const inverse = c.action === 'disable' ? 'enable' : 'disable';
  const step: Step = {
    title: `${c.action === 'disable' ? 'Disable' : 'Enable'} ${c.label} in every region`,
    region: regionNames.join(', '),
    changes: `SSM ${c.parameter} (${c.action === 'disable' ? 'add' : 'remove'} "${c.entry}"), read back when an answer is lost`,
    expected: `seconds; each ${c.reader} applies it within its 15 s poll`,
    kind: 'change',
    done: regions.every(inForce),
    async run(ctx) {
      const writes = await Promise.all(
        regions.map((r): Promise<SwitchWrite> => {
          if (inForce(r))
            return Promise.resolve({ region: r.region, result: 'done', value: c.codec.format(r.entries!) });
          if (r.entries)
            return writeSwitchParameter(d, r.region, c.parameter, c.codec, c.codec.format(apply(r.entries)));
          return Promise.resolve({
            region: r.region,
            result: 'not-done',
            value: '',
            error: `not written: its switch could not be read (${r.error})`,
          });
        }),
      );
      if (writes.some((w) => w.result !== 'not-done')) ctx.changed();
      for (const w of writes.filter((x) => x.late)) ctx.warn(`${w.region}: ${LATE}`);
      const summary = writes.map(describeSwitchWrite).join('; ').replace(/\.$/, '');
      if (writes.some((w) => w.result === 'unknown')) {
        throw new OutcomeUnknown(
          `${summary}. A region UNKNOWN may or may not have the change; ${commandPrefix(d)} ${c.command} status reads it`,
          d.signal.aborted,
        );
      }
      if (writes.some((w) => w.result === 'not-done')) {
        throw new StepFailure(
          `${summary}. A region left out keeps its old value and its ${c.reader} acts on it`,
        );
      }
      return writes.map((w) => `${w.region} ${w.value}`).join('; ');
    },
  };
  const command = (action: string) =>
    `${commandPrefix(d)} ${c.command} ${action} ${c.entry} --yes${c.force ? ' --force' : ''}`;
  return {
    command: `${c.command} ${c.action}`,
    args,
    title: `Plan: ${c.action} ${c.label} in the shops of ${regionNames.join(', ')}. ${judged.leaves}`,
    steps: [step],
    refusals,
    warnings,
    dryRun: c.dryRun,
    yes: c.yes,
    force: c.force,
    alreadyInEffect: `${c.entry} is already ${c.action}d in every region`,
    resume: command(c.action),
    rollback: command(inverse),
    rollbackNote: `${inverse}s ${c.entry} again in every region`,
  };
}
