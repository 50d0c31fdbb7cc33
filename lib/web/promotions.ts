import type { Promotion } from '../config/load';

/**
 * How long after synth CloudFormation may still be creating a group's scheduled actions. EC2 Auto
 * Scaling rejects a scheduled action whose start is in the past ("If you try to schedule your
 * action in the past, Amazon EC2 Auto Scaling returns an error message",
 * PutScheduledUpdateGroupAction,
 * https://docs.amazonaws.cn/sdkfornet/v3/apidocs/items/AutoScaling/MAutoScalingPutScheduledUpdateGroupActionPutScheduledUpdateGroupActionRequest.html),
 * and a failed first deploy rolls back into deletion-protected clusters. A first deploy creates the
 * primary's Aurora cluster and then each standby's secondary (each commonly 20-40 minutes) before
 * the web tier of the last standby, so three hours covers `cdk deploy --all` with room to spare.
 * A pipeline that deploys a synthesized assembly later than this must synthesize again.
 */
export const PROMOTION_DEPLOY_MARGIN_MS = 3 * 60 * 60 * 1000;

/** One one-time scheduled action: at `startTime`, set the group's minimum to `minSize`. */
export interface PlannedAction {
  /** Construct id suffix (stable per promotion and boundary). */
  readonly id: string;
  readonly startTime: Date;
  readonly minSize: number;
}

/** What a group's minimum and schedule must be, as judged at synth time. */
export interface PromotionPlan {
  /** The group's `MinSize` at deploy: the base, raised by every promotion running or starting within the margin. */
  readonly minCapacity: number;
  /** Scheduled actions, every one starting at least the margin after `now`. */
  readonly actions: readonly PlannedAction[];
  /** Why something could not be scheduled (shown as synth warnings). */
  readonly warnings: readonly string[];
}

/**
 * Plans a group's minimum and its scheduled actions from the promotions.
 *
 * The minimum at an instant is the largest of the base and every promotion under way then. A
 * boundary (a start or an end) later than `now + margin` becomes a scheduled action setting the
 * minimum to its value at that instant (so overlapping promotions never lower each other). A start
 * that has passed or falls inside the margin takes effect at deploy through `MinSize` itself. An end
 * inside the margin cannot be scheduled safely: the minimum stays raised until the next deploy after
 * it, which is reported as a warning (more capacity than needed, never less).
 */
export function planPromotions(
  promotions: readonly Promotion[],
  baseMin: number,
  now: Date,
  marginMs: number = PROMOTION_DEPLOY_MARGIN_MS,
): PromotionPlan {
  const horizon = now.getTime() + marginMs;
  const live = promotions.filter((p) => p.end.getTime() > now.getTime());
  const minAt = (t: number): number =>
    live.reduce(
      (m, p) => (p.start.getTime() <= t && t < p.end.getTime() ? Math.max(m, p.minCapacity) : m),
      baseMin,
    );
  // Everything that starts before the horizon is in force at deploy.
  const minCapacity = live.reduce(
    (m, p) => (p.start.getTime() <= horizon ? Math.max(m, p.minCapacity) : m),
    baseMin,
  );
  const actions: PlannedAction[] = [];
  const warnings: string[] = [];
  for (const p of live) {
    if (p.start.getTime() > horizon) {
      actions.push({ id: `${p.name}-Start`, startTime: p.start, minSize: minAt(p.start.getTime()) });
    }
    if (p.end.getTime() > horizon) {
      actions.push({ id: `${p.name}-End`, startTime: p.end, minSize: minAt(p.end.getTime()) });
    } else {
      warnings.push(
        `Promotion "${p.name}" ends at ${p.end.toISOString()}, within ${marginMs / 3_600_000} h of synth: its end cannot be scheduled safely, so the group's minimum stays at ${minCapacity} until you deploy again after it ends.`,
      );
    }
  }
  return { minCapacity, actions, warnings };
}
