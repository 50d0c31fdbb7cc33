/**
 * The scaler's ModifyDBCluster guard: the rule as synthesized (who, what, where it pages), its
 * pattern firing on a request that does more than the scaler's job and silent on the scaler's own,
 * and its parameter list kept complete against the SDK's request shape.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import {
  OTHER_MODIFY_PARAMETERS,
  SCALER_MODIFY_PARAMETERS,
  scalerOutOfScopePattern,
} from '../../lib/capacity/scaler-guard';
import { loadConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { resourcesOf, sharedTemplates } from '../support/synth';

const config = loadConfig('default');
const names = new Names(config);
const templates = sharedTemplates(config);
const ROLE = 'arn:aws:iam::111122223333:role/scaler';

/**
 * EventBridge matching for the operators the pattern uses (exact values, `exists`, `$or`), after
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html: every
 * field of the pattern must match; `exists: false` matches an absent leaf.
 */
function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((p) => {
      if (p && typeof p === 'object' && 'exists' in p) return (event !== undefined) === p.exists;
      return event !== undefined && p === event;
    });
  }
  const obj = pattern as Record<string, unknown>;
  const ev = (event ?? {}) as Record<string, unknown>;
  return Object.entries(obj).every(([k, v]) =>
    k === '$or' ? (v as unknown[]).some((alt) => matches(alt, ev)) : matches(v, ev[k]),
  );
}

/** The CloudTrail record of a ModifyDBCluster call, as EventBridge delivers it. */
const call = (requestParameters: Record<string, unknown>, arn = ROLE) => ({
  source: 'aws.rds',
  'detail-type': 'AWS API Call via CloudTrail',
  detail: {
    eventSource: 'rds.amazonaws.com',
    eventName: 'ModifyDBCluster',
    userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn } } },
    requestParameters,
  },
});
const asEvent = (p: ReturnType<typeof scalerOutOfScopePattern>) => ({
  source: p.source,
  'detail-type': p.detailType,
  detail: p.detail,
});
const scaling = {
  dBClusterIdentifier: 'c',
  serverlessV2ScalingConfiguration: { minCapacity: 4, maxCapacity: 16 },
  applyImmediately: true,
};

test("silent on the scaler's own request (capacity only)", () => {
  expect(matches(asEvent(scalerOutOfScopePattern(ROLE)), call(scaling))).toBe(false);
});

test.each([
  ['the master password', { ...scaling, masterUserPassword: 'HIDDEN_DUE_TO_SECURITY_REASONS' }],
  ['deletion protection', { ...scaling, deletionProtection: false }],
  [
    'a log export change (nested)',
    { ...scaling, cloudwatchLogsExportConfiguration: { disableLogTypes: ['postgresql'] } },
  ],
  ['no scaling configuration at all', { dBClusterIdentifier: 'c', applyImmediately: true }],
])('fires when the scaler role changes %s', (_what, params) => {
  expect(matches(asEvent(scalerOutOfScopePattern(ROLE)), call(params))).toBe(true);
});

test('silent for another role (the operator changing the password is not the scaler)', () => {
  const p = asEvent(scalerOutOfScopePattern(ROLE));
  expect(
    matches(p, call({ ...scaling, masterUserPassword: 'x' }, 'arn:aws:iam::111122223333:role/admin')),
  ).toBe(false);
});

test("the parameter list covers every member of the SDK's ModifyDBClusterMessage", () => {
  const dir = path.dirname(require.resolve('@aws-sdk/client-rds/package.json'));
  const models = path.join(dir, 'dist-types', 'models');
  const text = fs
    .readdirSync(models)
    .map((f) => fs.readFileSync(path.join(models, f), 'utf8'))
    .join('\n');
  const body = /export interface ModifyDBClusterMessage \{([\s\S]*?)\n\}/.exec(text)?.[1] ?? '';
  const members = [...body.matchAll(/^\s+([A-Z][A-Za-z0-9]*)\??:/gm)].map((m) => m[1]);
  expect(members.length).toBeGreaterThan(40);
  // CloudTrail lower-cases the first letter of each request parameter
  const camel = (m: string) => m[0].toLowerCase() + m.slice(1);
  const covered = new Set([
    ...SCALER_MODIFY_PARAMETERS,
    ...OTHER_MODIFY_PARAMETERS.map((p) => p.split('.')[0]),
  ]);
  expect(members.map(camel).filter((m) => !covered.has(m))).toEqual([]);
});

test.each(config.regions.map((r) => r.name))(
  'region %s: the rule watches the scaler role and pages the alarm topic',
  (region) => {
    const t = templates[names.regionalStack(region)];
    const rules = resourcesOf(t, 'AWS::Events::Rule').filter(
      ([, r]) => r.Properties.EventPattern?.detail?.eventName?.[0] === 'ModifyDBCluster',
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    const issuer = rule.Properties.EventPattern.detail.userIdentity.sessionContext.sessionIssuer.arn[0];
    const [roleId] = issuer['Fn::GetAtt'];
    // the role is the scaler function's
    t.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
      Description: Match.stringLikeRegexp('Raises the standby'),
    });
    expect(rule.Properties.EventPattern.detail.$or).toHaveLength(OTHER_MODIFY_PARAMETERS.length + 1);
    const topics = Object.keys(
      t.findResources('AWS::SNS::Topic', { Properties: { TopicName: names.alarmTopic() } }),
    );
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { Ref: topics[0] } })]);
  },
);
