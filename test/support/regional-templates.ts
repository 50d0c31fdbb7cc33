/**
 * The default config's regional templates (from the one shared synth, ./synth.ts sharedTemplates)
 * and the lookups the stack suites of the shop's capabilities (payments, notices) make in them.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig, type ShopConfig } from '../../lib/config/load';
import { Names } from '../../lib/config/names';
import { resourcesOf, sharedTemplates } from './synth';

/** The default config's primary and standby regions. */
export const PRIMARY = 'ap-northeast-2';
export const STANDBY = 'ap-northeast-1';

/** The default config, its names and its templates by stack; `regional(region)` is that region's. */
export function regionalFixture(): {
  config: ShopConfig;
  names: Names;
  templates: Record<string, Template>;
  regional: (region: string) => Template;
  arn: (service: string, region: string, resource: string) => unknown;
} {
  const config = loadConfig('default');
  const names = new Names(config);
  const templates = sharedTemplates(config);
  return {
    config,
    names,
    templates,
    regional: (region) => templates[names.regionalStack(region)],
    // An ARN in the config's account as CDK writes it (partition by reference).
    arn: (service, region, resource) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:${service}:${region}:${config.account}:${resource}`],
      ],
    }),
  };
}

/** Logical id of the one resource of `type` whose properties match. */
export function idOf(t: Template, type: string, props: Record<string, unknown>): string {
  const found = Object.keys(t.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
}

/** Logical id of the region's data key (the one that encrypts the database and the secrets). */
export function dataKeyOf(t: Template): string {
  return idOf(t, 'AWS::KMS::Key', { Description: Match.stringLikeRegexp('^Encrypts resilient-shop data') });
}

/** The statements of the web tier's instance policy. */
export function instanceStatements(t: Template): any[] {
  const policies = resourcesOf(t, 'AWS::IAM::ManagedPolicy').filter(([id]) =>
    id.startsWith('WebInstancePolicy'),
  );
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

/** The literal text of the launch template's user data (what writes the instances' env file). */
export function userDataText(t: Template): string {
  const lt = resourcesOf(t, 'AWS::EC2::LaunchTemplate')[0][1];
  const parts: unknown[] = lt.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
  return parts.filter((p): p is string => typeof p === 'string').join('');
}

/** The value of `name=` in the instances' environment file (from the launch template's user data). */
export function envLine(t: Template, name: string): string | undefined {
  return userDataText(t)
    .split('\n')
    .find((l) => l.startsWith(`${name}=`))
    ?.slice(name.length + 1);
}
