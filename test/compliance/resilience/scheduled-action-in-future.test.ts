import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import { findingsOf, newApp, stackIn } from './helpers';

const NOW = new Date('2026-11-01T10:00:00Z');

function actionStartingIn(minutes: number) {
  const app = newApp();
  const stack = stackIn(app, 'Web', 'eu-west-1');
  const group = new autoscaling.CfnAutoScalingGroup(stack, 'Group', {
    minSize: '1',
    maxSize: '4',
    availabilityZones: ['eu-west-1a'],
  });
  new autoscaling.CfnScheduledAction(stack, 'Promotion', {
    autoScalingGroupName: group.ref,
    minSize: 3,
    startTime: new Date(NOW.getTime() + minutes * 60_000).toISOString(),
  });
  return app;
}

describe('Resilience-ScheduledActionInFuture', () => {
  test.each([-60, 0, 30, 179])(
    'non-compliant: starts %i minutes after synth (default margin 3 h)',
    (minutes) => {
      expect(findingsOf('ScheduledActionInFuture', actionStartingIn(minutes), { now: NOW })).toEqual([
        'Resilience-ScheduledActionInFuture at Web/Promotion',
      ]);
    },
  );

  test.each([180, 24 * 60])('compliant: starts %i minutes after synth', (minutes) => {
    expect(findingsOf('ScheduledActionInFuture', actionStartingIn(minutes), { now: NOW })).toEqual([]);
  });

  test('the margin is configurable', () => {
    const app = actionStartingIn(30);
    expect(
      findingsOf('ScheduledActionInFuture', app, { now: NOW, scheduledActionMarginMinutes: 15 }),
    ).toEqual([]);
    expect(
      findingsOf('ScheduledActionInFuture', app, { now: NOW, scheduledActionMarginMinutes: 45 }),
    ).toHaveLength(1);
  });
});
