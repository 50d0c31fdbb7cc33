import { NagRuleCompliance, NagRuleResult } from 'cdk-nag';
import { asArray, isObject, Json } from '../app-index';
import type { ResilienceRule } from '../rule';

/**
 * A grant whose resource does not match the resource AWS authorizes the call against: the template
 * deploys, the function runs, and the call is denied (or returns less) only in the account.
 *
 * Two mechanical members of the class:
 * - `cloudwatch:DescribeAlarms` scoped to anything but `*`: "To use this operation and return
 *   information about composite alarms, you must be signed on with the cloudwatch:DescribeAlarms
 *   permission that is scoped to *. You can't return information about composite alarms if your
 *   cloudwatch:DescribeAlarms permission has a narrower scope"
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html).
 * - `ssm:GetParametersByPath` on a path without its trailing-slash form (or a wildcard): the call "is
 *   authorized against the path in the request rather than against the parameters it returns"
 *   (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html),
 *   and a request for `/app/switch/` names a different resource string than a grant of `/app/switch`.
 *
 * The rule reads AWS::IAM::Policy, AWS::IAM::ManagedPolicy and the inline policies of AWS::IAM::Role.
 */
export const IamResourceAsAuthorized: ResilienceRule = {
  id: 'IamResourceAsAuthorized',
  info: 'An IAM grant is scoped to a resource that AWS does not authorize the call against (DescribeAlarms narrower than *, or GetParametersByPath without the trailing-slash path).',
  explanation:
    'The call is denied or silently returns less only in the account: DescribeAlarms returns no composite alarm unless its grant is "*"; GetParametersByPath is authorized against the exact path in the request. Scope DescribeAlarms to "*" and grant GetParametersByPath on both "<path>" and "<path>/".',
  sources: [
    'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html',
    'https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html',
  ],
  resourceTypes: ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'],
  check(resource): NagRuleResult {
    const documents: Json[] = [];
    if (resource.type === 'AWS::IAM::Role') {
      for (const p of asArray(resource.properties.Policies))
        if (isObject(p)) documents.push(p.PolicyDocument);
    } else {
      documents.push(resource.properties.PolicyDocument);
    }
    const findings = new Set<string>();
    for (const doc of documents) {
      if (!isObject(doc)) continue;
      for (const statement of asArray(doc.Statement)) {
        if (!isObject(statement) || statement.Effect !== 'Allow') continue;
        const actions = asArray(statement.Action).filter((a): a is string => typeof a === 'string');
        const resources = asArray(statement.Resource).map(render);
        if (resources.includes('*')) continue;
        if (actions.some((a) => grants(a, 'cloudwatch:DescribeAlarms')))
          findings.add('describe-alarms-not-star');
        if (actions.some((a) => grants(a, 'ssm:GetParametersByPath'))) {
          for (const r of resources) {
            if (r.endsWith('/') || r.endsWith('*')) continue;
            if (!resources.includes(`${r}/`)) findings.add('get-parameters-by-path-without-trailing-slash');
          }
        }
      }
    }
    return findings.size ? [...findings].sort() : NagRuleCompliance.COMPLIANT;
  },
};

/** Whether the policy action `pattern` (which may hold `*`) covers `action`, case-insensitively. */
function grants(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escape).join('.*')}$`, 'i');
  return re.test(action);
}

function escape(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** A resource as a string: Fn::Join concatenated, every other token as `{token}` (never `*`). */
function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (isObject(value) && Array.isArray(value['Fn::Join'])) {
    const [sep, parts] = value['Fn::Join'] as [Json, Json];
    return asArray(parts)
      .map(render)
      .join(typeof sep === 'string' ? sep : '');
  }
  return '{token}';
}
