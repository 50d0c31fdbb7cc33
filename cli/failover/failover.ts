import type { ActionSpec } from '../action/action';
import { accountRefusal, commandPrefix, type Refusal } from '../action/refusals';
import { invertStep } from './fastSwitch';
import { capacityOrWarn, CapacityClientsFor, scaleUpStep, waitCapacityStep } from '../capacity/capacity';
import { confirmedWrite, LATE } from '../action/readBack';
import {
  dbInProgress,
  describeGlobalDb,
  describeIn,
  GlobalDbState,
  memberOf,
  promote,
  replicationLagMs,
  waitForWriter,
  waitUntilSettled,
  writerSettled,
} from '../database/database';
import { CliError, describeError, errorKind, EXIT, StepFailure, UsageError } from '../aws/errors';
import { endpointStatuses } from './healthchecks';
import { getHealthz, healthzSummary, HealthzView, isReadWriteWriter } from '../shop/healthz';
import { drainStep, undrainStep } from './switchSteps';
import { throwIfInterrupted } from '../aws/deadline';
import { readSecretReplication } from '../database/secret';
import { isUnread, readSwitch } from './switch';
import type { Deps } from '../aws/deps';
import type { Step } from '../action/steps';

export interface FailoverOptions {
  readonly to: string;
  readonly unplanned: boolean;
  readonly dryRun: boolean;
  readonly yes: boolean;
  readonly force: boolean;
  readonly maxLagMs?: number;
  /** Clients for the capacity steps (#14); without them the plan warns and does not pre-scale. */
  readonly capacity?: CapacityClientsFor;
  /** Also use the Route 53 control plane (invert endpoint checks) when it answers (#14 item 6). */
  readonly fastSwitch?: boolean;
}

export function regionNames(d: Deps): string[] {
  return d.config.regions.map((r) => r.name);
}

/** Fails with a usage error listing the valid regions. */
export function assertRegion(d: Deps, region: string): void {
  if (!regionNames(d).includes(region)) {
    throw new UsageError(
      `Unknown region "${region}". Valid regions (failover order): ${regionNames(d).join(', ')}. Nothing changed.`,
    );
  }
}

export function maxLag(d: Deps, override?: number): number {
  return override ?? 2 * d.config.database.replicationLagAlarmMs;
}

/** Reads the global database from `first`, then the other regions. */
export async function readDb(d: Deps, first: string): Promise<GlobalDbState> {
  try {
    return await describeGlobalDb(d, [first, ...regionNames(d).filter((r) => r !== first)]);
  } catch (e) {
    if (errorKind(e) === 'credentials' || errorKind(e) === 'interrupted') throw e;
    throw new CliError(
      `Could not read the global database from any region: ${describeError(e, d.profile)}`,
      EXIT.unknown,
    );
  }
}

/** Lag refusal (or warning when unknown) for promoting `region`. */
export async function lagCheck(
  d: Deps,
  region: string,
  limit: number,
): Promise<{ refusal?: Refusal; warning?: string; lagMs: number | null }> {
  try {
    const lagMs = await replicationLagMs(d, region);
    if (lagMs === null)
      return { lagMs, warning: `no replication lag data for ${region} in the last 5 minutes` };
    if (lagMs > limit) {
      return {
        lagMs,
        refusal: {
          forceable: true,
          onlyBeforeStart: true,
          reason: `replication lag of ${region} is ${lagMs} ms, above the limit of ${limit} ms (--max-lag-ms)`,
        },
      };
    }
    return { lagMs };
  } catch (e) {
    return {
      lagMs: null,
      warning: `could not read the replication lag of ${region}: ${describeError(e, d.profile)}`,
    };
  }
}

/**
 * Moves the writer to `target`. Done already when `target` is the writer, or a move in progress goes
 * to `target`; a move in progress the other way (a run cut mid-way, now rolled back) is waited for
 * first, then reversed. A request whose answer did not come is read back (DescribeGlobalClusters).
 */
export function promoteStep(
  d: Deps,
  db: GlobalDbState,
  target: string,
  arn: string,
  unplanned: boolean,
): Step {
  const moving = dbInProgress(db);
  const away = moving && db.movingTo !== target;
  return {
    title: `Promote the database to ${target} (${unplanned ? 'UNPLANNED failover, AllowDataLoss' : 'planned switchover, no data loss'})`,
    region: target,
    changes:
      `${unplanned ? 'FailoverGlobalCluster' : 'SwitchoverGlobalCluster'} ${d.names.globalClusterId()} -> ${arn}` +
      (away ? ` (after the move to ${db.movingTo ?? 'an unknown region'} in progress ends)` : ''),
    expected: away
      ? 'the move in progress ends in about 1-2 min; then the call returns in seconds'
      : 'call returns in seconds; the writer moves in about 1-2 min',
    kind: 'change',
    done: moving ? db.movingTo === target : db.writerRegion === target,
    async run(ctx) {
      if (away) {
        const now = await waitUntilSettled(d, target, ctx.update);
        if (now.writerRegion === target) return `the move ended with ${target} the writer`;
      }
      const how = await confirmedWrite(
        d,
        () => promote(d, target, arn, unplanned),
        async (c) => {
          const now = await describeIn(d, target, c);
          return dbInProgress(now) ? now.movingTo === target : now.writerRegion === target;
        },
      );
      ctx.changed();
      return how === 'read-back' ? `requested (${LATE})` : 'requested';
    },
  };
}

export function waitStep(d: Deps, db: GlobalDbState, target: string): Step {
  return {
    title: `Wait until ${target} is the writer and the global cluster is available`,
    region: target,
    changes: 'nothing (polls DescribeGlobalClusters)',
    expected: `about 1-2 min (gives up after ${Math.round(d.dbTimeoutMs / 60_000)} min)`,
    kind: 'wait',
    done: writerSettled(db, target),
    async run(ctx) {
      const final = await waitForWriter(d, target, ctx.update);
      return `writer ${final.writerRegion}, ${final.status}`;
    },
  };
}

export function verifyStep(d: Deps, target: string): Step {
  return {
    title: `Verify ${target} serves read-write (/healthz)`,
    region: target,
    changes: 'nothing (GET https://' + d.names.regionRecord(target) + '/healthz)',
    expected: `seconds (gives up after ${Math.round(d.verifyTimeoutMs / 1000)} s)`,
    kind: 'verify',
    done: false,
    async run(ctx) {
      const start = d.now().getTime();
      let last: HealthzView;
      for (;;) {
        throwIfInterrupted(d);
        last = await getHealthz(d, target);
        ctx.update(healthzSummary(last));
        if (isReadWriteWriter(last)) return healthzSummary(last);
        if (d.now().getTime() - start >= d.verifyTimeoutMs) {
          throw new StepFailure(
            `${target} /healthz is not read-write with db writer: ${healthzSummary(last)}`,
          );
        }
        await d.sleep(d.pollMs);
      }
    },
  };
}

/** Gathers state and builds the failover action (no change is made here). */
export async function planFailover(
  d: Deps,
  o: FailoverOptions,
  args: readonly string[],
): Promise<ActionSpec> {
  assertRegion(d, o.to);
  const order = regionNames(d);
  const before = order.slice(0, order.indexOf(o.to));
  const [db, targetSwitch, beforeSwitches, hz, checks, account, secret] = await Promise.all([
    readDb(d, o.to),
    readSwitch(d, o.to),
    Promise.all(before.map((r) => readSwitch(d, r))),
    getHealthz(d, o.to),
    endpointStatuses(d, [o.to]),
    accountRefusal(d),
    readSecretReplication(d),
  ]);
  const member = memberOf(d, db, o.to);
  if (!member) {
    throw new CliError(
      `${o.to} has no cluster in global database ${d.names.globalClusterId()}. Nothing changed.`,
      EXIT.usage,
    );
  }
  const refusals: Refusal[] = account ? [account] : [];
  const warnings: string[] = [];
  const targetSecret = secret.regions.find((r) => r.region === o.to);
  if (targetSecret && (targetSecret.state === 'Failed' || targetSecret.state === 'missing')) {
    refusals.push({
      forceable: true,
      reason: `the database secret's replica in ${o.to} is ${targetSecret.state}${targetSecret.detail ? ` (${targetSecret.detail})` : ''}: the shop there cannot read its credentials`,
    });
  }
  const endpoint = checks.byRegion.get(o.to);
  if (endpoint?.state === 'unhealthy') {
    refusals.push({
      forceable: true,
      onlyBeforeStart: true,
      reason: `${o.to} endpoint health check is ${endpoint.summary}`,
    });
  } else if (endpoint?.state !== 'healthy') {
    warnings.push(`${o.to} endpoint health check: ${endpoint?.summary ?? 'unknown'}; relying on /healthz`);
  }
  if (hz.status !== 200)
    refusals.push({
      forceable: true,
      onlyBeforeStart: true,
      reason: `${o.to} /healthz is not 200 (${healthzSummary(hz)})`,
    });
  let lagText = '';
  if (db.writerRegion !== o.to) {
    const lag = await lagCheck(d, o.to, maxLag(d, o.maxLagMs));
    if (lag.refusal) refusals.push(lag.refusal);
    if (lag.warning) warnings.push(lag.warning);
    lagText = lag.lagMs === null ? 'unknown' : `${lag.lagMs} ms`;
  }
  if (o.unplanned && db.writerRegion !== o.to) {
    warnings.push(
      `UNPLANNED failover allows DATA LOSS: writes not yet replicated to ${o.to} (replication lag ${lagText || 'unknown'}) are lost.`,
    );
  }
  // Capacity (#14): a planned failover waits for the target's capacity before draining anything;
  // an unplanned one only requests it, so the instances start while the database promotes.
  const capacity = await capacityOrWarn(d, o.capacity, o.to, warnings);
  if (!capacity && o.capacity && !o.unplanned) {
    // A planned failover has time to wait: moving every customer onto the target's current
    // instances, trusting a scaler that calls the same unanswering API, is not a plan.
    refusals.push({
      forceable: true,
      onlyBeforeStart: true,
      reason:
        `could not read the capacity of ${o.to}, so it cannot be pre-scaled: all traffic would land on its current ` +
        `instances, and its scaler calls the same Auto Scaling API. Fix: retry when the API answers, or --force to move without pre-scaling`,
    });
  }
  const capacitySteps = capacity
    ? [
        scaleUpStep(d, capacity.clients, capacity.plan),
        ...(o.unplanned ? [] : [waitCapacityStep(d, capacity.clients, capacity.plan)]),
      ]
    : [];
  const resume = `${commandPrefix(d)} failover --to ${o.to}${o.unplanned ? ' --unplanned' : ''}${o.force ? ' --force' : ''}${o.maxLagMs !== undefined ? ` --max-lag-ms ${o.maxLagMs}` : ''} --yes`;
  if (isUnread(targetSwitch)) {
    // With the old primary down, its copy of the target's switch cannot be read; a holder that is down
    // cannot keep the target drained (its alarm has no data, which the health check reads as healthy).
    warnings.push(
      `could not read ${o.to}'s drain switch in ${targetSwitch.holders.map((h) => `${h.holder} (${h.error})`).join(', ')}; ` +
        `if one says drained when it answers again, customers stay off ${o.to}: then re-run "${resume}"`,
    );
  }
  const steps: Step[] = [
    undrainStep(d, o.to, targetSwitch, true),
    ...capacitySteps,
    ...before.map((r, i) => drainStep(d, r, beforeSwitches[i], resume)),
    ...(o.fastSwitch ? before.map((r) => invertStep(d, r, true)) : []),
    promoteStep(d, db, o.to, member.arn, o.unplanned),
    waitStep(d, db, o.to),
    verifyStep(d, o.to),
  ];
  return {
    command: 'failover',
    args,
    title: `Plan: ${o.unplanned ? 'UNPLANNED failover' : 'planned failover'} to ${o.to} (database writer now: ${db.writerRegion ?? 'none'}, status ${db.status})`,
    steps,
    refusals,
    warnings,
    dryRun: o.dryRun,
    yes: o.yes,
    force: o.force,
    alreadyInEffect: `${o.to} is the database writer${before.length ? ` and ${before.join(', ')} ${before.length > 1 ? 'are' : 'is'} drained` : ''}`,
    resume,
    rollback: `${commandPrefix(d)} failback --yes`,
    rollbackNote: `moves the writer back to ${d.config.primaryRegion} if it moved, verifies /healthz, then undrains`,
  };
}
