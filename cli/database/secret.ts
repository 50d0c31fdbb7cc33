import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { aws, describeError, errorKind } from '../aws/errors';
import type { Deps } from '../aws/deps';

/** The database master secret as one region sees it. */
export interface SecretRegionView {
  readonly region: string;
  /**
   * `primary` (the secret's home), the replica's ReplicationStatus as the home reports it (`InSync`,
   * `InProgress`, `Failed`), `missing` (no secret of that name in the region), or `unknown`.
   */
  readonly state: 'primary' | 'InSync' | 'InProgress' | 'Failed' | 'missing' | 'unknown';
  /** StatusMessage from the home, or why the state is unknown. */
  readonly detail?: string;
}

export interface SecretView {
  readonly name: string;
  /** Region of the primary secret, when any region answered. */
  readonly home: string | null;
  readonly regions: readonly SecretRegionView[];
}

interface Answer {
  readonly region: string;
  readonly primaryRegion?: string;
  readonly replication?: readonly { Region?: string; Status?: string; StatusMessage?: string }[];
  readonly error?: unknown;
}

const STATES = ['InSync', 'InProgress', 'Failed'] as const;

/**
 * Replication of the database master secret, read with DescribeSecret in every region at once. Only the
 * primary secret lists `ReplicationStatus` (Region, Status InSync | InProgress | Failed, StatusMessage:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html); a
 * replica names its `PrimaryRegion`. A replica that failed (for example because its KMS key did not
 * exist yet) leaves the standby's shop without credentials, and Secrets Manager may remove it, which
 * shows here as `missing`. Never throws.
 */
export async function readSecretReplication(d: Deps): Promise<SecretView> {
  const name = d.names.dbSecretName();
  const regions = d.config.regions.map((r) => r.name);
  const answers: Answer[] = await Promise.all(
    regions.map((region) =>
      aws(d, region, 'secretsmanager:DescribeSecret', (o) =>
        d.clients(region).secrets.send(new DescribeSecretCommand({ SecretId: name }), o),
      ).then(
        (res): Answer => ({
          region,
          ...(res.PrimaryRegion ? { primaryRegion: res.PrimaryRegion } : {}),
          ...(res.ReplicationStatus ? { replication: res.ReplicationStatus } : {}),
        }),
        (error): Answer => ({ region, error }),
      ),
    ),
  );
  // the home is the region that lists replicas, or the one the replicas name
  const home =
    answers.find((a) => a.replication)?.region ??
    answers.find((a) => a.primaryRegion)?.primaryRegion ??
    answers.find((a) => !a.error && !a.primaryRegion)?.region ??
    null;
  const homeAnswer = answers.find((a) => a.region === home && !a.error);
  const views = regions.map((region): SecretRegionView => {
    const own = answers.find((a) => a.region === region) as Answer;
    if (region === home) {
      return own.error
        ? { region, state: 'unknown', detail: describeError(own.error, d.profile) }
        : { region, state: 'primary' };
    }
    if (own.error && errorKind(own.error) === 'not-found') {
      return { region, state: 'missing', detail: `no secret ${name} in ${region}` };
    }
    const listed = homeAnswer?.replication?.find((r) => r.Region === region);
    const status = STATES.find((s) => s === listed?.Status);
    if (status)
      return { region, state: status, ...(listed?.StatusMessage ? { detail: listed.StatusMessage } : {}) };
    if (homeAnswer)
      return { region, state: 'missing', detail: `${home} does not replicate ${name} to ${region}` };
    return {
      region,
      state: 'unknown',
      detail: own.error
        ? describeError(own.error, d.profile)
        : `replica present; its status is known only to ${home ?? 'the home region'}, which did not answer`,
    };
  });
  return { name, home, regions: views };
}
