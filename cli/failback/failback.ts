import type { ActionSpec } from '../action/action';
import { accountRefusal, commandPrefix, type Refusal } from '../action/refusals';
import { fastPathStep, holdInStep, releaseHoldStep } from '../failover/fastSwitch';
import {
  capacityOrWarn,
  CapacityClientsFor,
  restorePostureStep,
  scaleUpStep,
  waitCapacityStep,
} from '../capacity/capacity';
import { memberOf } from '../database/database';
import { CliError, EXIT } from '../aws/errors';
import {
  lagCheck,
  maxLag,
  promoteStep,
  readDb,
  regionNames,
  verifyStep,
  waitStep,
} from '../failover/failover';
import { getHealthz, healthzSummary } from '../shop/healthz';
import { isServing, isUnread, readSwitch } from '../failover/switch';
import { undrainStep } from '../failover/switchSteps';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

export interface FailbackOptions {
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly maxLagMs?: number;
  /** Clients for the capacity steps (#14); without them the plan warns and does not scale. */
  readonly capacity?: CapacityClientsFor;
  /** Also use the Route 53 control plane (hold region checks out: the fast path) when it answers (#14 item 6). */
  readonly fastSwitch?: boolean;
}

/**
 * Planned return to the primary: switchover first, verify the primary is read-write, and only then
 * undrain, so customers never land on a read-only primary.
 */
export async function planFailback(
  d: Deps,
  o: FailbackOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  const primary = d.config.primaryRegion;
  const order = regionNames(d);
  const [db, switches, hz, account] = await Promise.all([
    readDb(d, primary),
    Promise.all(order.map((r) => readSwitch(d, r))),
    getHealthz(d, primary),
    accountRefusal(d),
  ]);
  const member = memberOf(d, db, primary);
  if (!member) {
    throw new CliError(
      `${primary} has no cluster in global database ${d.names.globalClusterId()}.`,
      EXIT.usage,
    );
  }
  const refusals: Refusal[] = account ? [account] : [];
  const warnings: string[] = [];
  for (const s of switches.filter(isUnread)) {
    // Failing back moves the writer first: if the primary's switch then cannot be undrained, customers
    // are left on a read-only standby. Unknown is not "serving".
    refusals.push({
      forceable: true,
      reason: `cannot read ${s.target}'s drain switch in any holder (${s.holders.map((h) => `${h.holder}: ${h.error}`).join('; ')}), so it could not be undrained after the switchover`,
    });
  }
  if (hz.status === null) {
    refusals.push({
      forceable: true,
      onlyBeforeStart: true,
      reason: `${primary} /healthz does not answer (${healthzSummary(hz)})`,
    });
  }
  if (db.writerRegion !== primary) {
    const lag = await lagCheck(d, primary, maxLag(d, o.maxLagMs));
    if (lag.refusal) refusals.push(lag.refusal);
    if (lag.warning) warnings.push(lag.warning);
  }
  const drained = switches.filter((s) => !isServing(s) || isUnread(s));
  const undrainFirst = [
    ...drained.filter((s) => s.target === primary),
    ...drained.filter((s) => s.target !== primary),
  ];
  // Capacity (#14): the primary gets the serving region's mirrored peak before it is undrained;
  // the standbys return to their postures afterwards (desired capacity left to target tracking).
  const [primaryCapacity, ...standbyCapacity] = await Promise.all(
    order.map((r) => capacityOrWarn(d, o.capacity, r, warnings)),
  );
  // The switchover makes the serving region's database unavailable for a while: held in, it keeps
  // its customers (read-only) instead of sending them to the outage page while the primary is
  // still drained. The restore steps after the verification end the hold.
  const serving = db.writerRegion && db.writerRegion !== primary ? db.writerRegion : undefined;
  const steps: Step[] = [
    ...(o.fastSwitch && serving ? [holdInStep(d, serving)] : []),
    promoteStep(d, db, primary, member.arn, false),
    waitStep(d, db, primary),
    verifyStep(d, primary),
    ...(o.fastSwitch && serving ? [releaseHoldStep(d, serving)] : []),
    ...(primaryCapacity
      ? [
          scaleUpStep(d, primaryCapacity.clients, primaryCapacity.plan),
          waitCapacityStep(d, primaryCapacity.clients, primaryCapacity.plan),
        ]
      : []),
    ...(o.fastSwitch ? order.filter((r) => r !== serving).map((r) => fastPathStep(d, r, false)) : []),
    // never "already done" here: a switch that no holder could be read for is not known to serve
    ...undrainFirst.map((s) => ({
      ...undrainStep(d, s.target, s, false),
      title: `Undrain ${s.target}`,
      done: false,
    })),
    ...standbyCapacity.flatMap((c) => (c ? [restorePostureStep(d, c.clients, c.plan)] : [])),
  ];
  const resume = `${commandPrefix(d)} failback${o.force ? ' --force' : ''}${o.maxLagMs !== undefined ? ` --max-lag-ms ${o.maxLagMs}` : ''} --yes`;
  // where customers were before this failback: the current writer, else the first standby
  const rollbackTarget =
    db.writerRegion && db.writerRegion !== primary
      ? db.writerRegion
      : (order.find((r) => r !== primary) ?? primary);
  return {
    command: 'failback',
    args,
    title: `Plan: failback to ${primary} (database writer now: ${db.writerRegion ?? 'none'}, status ${db.status})`,
    steps,
    refusals,
    warnings,
    dryRun: o.dryRun,
    yes: o.yes,
    force: o.force,
    alreadyInEffect: `${primary} is the database writer and no region is drained`,
    resume,
    rollback: `${commandPrefix(d)} failover --to ${rollbackTarget} --yes`,
    rollbackNote: `moves the writer back to ${rollbackTarget} and drains the regions before it`,
  };
}
