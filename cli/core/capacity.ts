import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Deps } from './deps';

/** The SDK clients of one region that the capacity and readiness commands need beyond `Deps.clients`. */
export interface CapacityClients {
  readonly autoscaling: AutoScalingClient;
  readonly acm: ACMClient;
  readonly secrets: SecretsManagerClient;
}

/** Builds capacity clients per region (same short timeouts as the rest of shopctl). */
export type CapacityClientsFor = (region: string) => CapacityClients;

/** Lazily built clients per region; tests mock these client classes with aws-sdk-client-mock. */
export function makeCapacityClientsFor(profile?: string): CapacityClientsFor {
  const cache = new Map<string, CapacityClients>();
  return (region) => {
    let c = cache.get(region);
    if (!c) {
      const common = {
        region,
        ...(profile ? { profile } : {}),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: 3000, requestTimeout: 10000 },
      };
      c = {
        autoscaling: new AutoScalingClient(common),
        acm: new ACMClient(common),
        secrets: new SecretsManagerClient(common),
      };
      cache.set(region, c);
    }
    return c;
  };
}

/**
 * The web tier's Auto Scaling group of `region`, found by the stack tag CloudFormation puts on it
 * (the group has a generated name).
 */
export async function locateGroup(d: Deps, c: CapacityClients, region: string) {
  const stack = d.names.regionalStack(region);
  const r = await c.autoscaling.send(
    new DescribeAutoScalingGroupsCommand({
      Filters: [{ Name: 'tag:aws:cloudformation:stack-name', Values: [stack] }],
    }),
  );
  const group = r.AutoScalingGroups?.[0];
  if (!group?.AutoScalingGroupName)
    throw new Error(`no Auto Scaling group tagged with stack ${stack} in ${region}`);
  return group;
}

/** The ALB certificate of `region`: the issued one that covers the region's direct name. */
export async function locateCertificate(d: Deps, c: CapacityClients, region: string): Promise<string> {
  const direct = d.names.regionRecord(region);
  let token: string | undefined;
  do {
    const page = await c.acm.send(new ListCertificatesCommand({ NextToken: token }));
    const hit = page.CertificateSummaryList?.find((s) => s.SubjectAlternativeNameSummaries?.includes(direct));
    if (hit?.CertificateArn) return hit.CertificateArn;
    token = page.NextToken;
  } while (token);
  throw new Error(`no certificate for ${direct} in ${region}`);
}
