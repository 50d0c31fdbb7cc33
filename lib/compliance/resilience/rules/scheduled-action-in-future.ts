import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import type { ResilienceRule } from '../rule';

/**
 * A scheduled action's StartTime must still be in the future when CloudFormation creates it, which
 * can be long after `cdk synth`: "If you try to schedule your action in the past, Amazon EC2 Auto
 * Scaling returns an error message"
 * (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html),
 * and the failed resource rolls the stack back. The rule fails a StartTime earlier than synth time
 * plus a margin (`scheduledActionMarginMinutes`, default 3 h: a first `cdk deploy --all` with
 * databases in several stacks takes that long; raise it for pipelines that wait for approval).
 * A change that is due now belongs in the group's own MinSize/DesiredCapacity at deploy, not in a
 * scheduled action.
 */
export const ScheduledActionInFuture: ResilienceRule = {
  id: 'ScheduledActionInFuture',
  info: 'The scheduled action starts before synth time plus the margin: it can be in the past when CloudFormation creates it, which fails the deploy.',
  explanation:
    'EC2 Auto Scaling rejects a scheduled action whose start time has passed, and the stack rolls back. Leave out actions that start within the margin and apply their capacity to the group directly at deploy.',
  sources: [
    'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html',
  ],
  resourceTypes: ['AWS::AutoScaling::ScheduledAction'],
  check(action, { index, options }): NagRuleResult {
    const start = index.literal(action.properties.StartTime, action.stack);
    if (start === undefined) return NagRuleCompliance.NOT_APPLICABLE;
    const startMs = Date.parse(start);
    if (Number.isNaN(startMs)) return [`unparseable-start-time`];
    const earliest = options.now.getTime() + options.scheduledActionMarginMinutes * 60_000;
    return startMs >= earliest ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
};
