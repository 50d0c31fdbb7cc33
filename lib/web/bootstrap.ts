import { SHOP_PORT, HEALTH_PATH } from '../contract/shop';

/** Name of the launch lifecycle hook the bootstrap completes. */
export const BOOTSTRAP_HOOK = 'shop-bootstrap';

/** Where the instance keeps its bootstrap script (run by {@link BOOTSTRAP_UNIT} on every boot). */
export const BOOTSTRAP_SCRIPT = '/opt/resilient-shop/bootstrap.sh';

/** systemd unit that runs the bootstrap on every boot. */
export const BOOTSTRAP_UNIT = 'resilient-shop-bootstrap.service';

/** What the bootstrap needs to know, rendered into the script. */
export interface BootstrapOptions {
  /** Region of the instance (for the AWS CLI). */
  readonly region: string;
  /** Auto Scaling group name (deterministic: the instance role may complete actions on it only). */
  readonly groupName: string;
  /** S3 location of the shop artifact; the key doubles as the installed version marker. */
  readonly artifactBucket: string;
  readonly artifactKey: string;
  /** Contents of `/etc/resilient-shop/env`. */
  readonly environment: string;
  /** The shop's systemd unit (`${NODE_BIN}` is expanded when the script writes it). */
  readonly shopUnit: string;
  /** Where the RDS CA bundle goes; the artifact carries it, so no download from the internet. */
  readonly caFile: string;
  /** File name of the CA bundle inside the artifact. */
  readonly caFileInArtifact: string;
}

/**
 * The instance bootstrap, safe to run on every boot.
 *
 * EC2 Auto Scaling stops an instance into the warm pool as soon as it has launched, without waiting
 * for user data, and cloud-init runs user data only on the first boot, so an instance could reach
 * InService with a half-run bootstrap
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/warm-pool-instance-lifecycle.html). So:
 * user data only installs this script and a systemd unit that runs it on every boot; the group has
 * an `autoscaling:EC2_INSTANCE_LAUNCHING` hook (default result ABANDON), which pauses an instance in
 * `Warmed:Pending:Wait` when it first launches into the pool and again in `Pending:Wait` when it
 * leaves it; the script completes the hook with CONTINUE only once the shop answers `/healthz`, and
 * with ABANDON when any step fails (the group then replaces the instance).
 *
 * Every step checks before it acts: packages, user and artifact are installed once (the artifact
 * again only when its key changes); the environment and unit files are rewritten each time; the
 * shop is restarted. A boot from the warm pool therefore runs no download at all.
 */
export function bootstrapScript(o: BootstrapOptions): string {
  return [
    '#!/bin/bash',
    '# resilient-shop bootstrap: runs on every boot, completes the launch lifecycle hook.',
    'set -euo pipefail',
    `REGION='${o.region}'`,
    `GROUP='${o.groupName}'`,
    `HOOK='${BOOTSTRAP_HOOK}'`,
    `ARTIFACT_KEY='${o.artifactKey}'`,
    "IMDS_TOKEN=$(curl -fsS --retry 5 -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    'INSTANCE_ID=$(curl -fsS --retry 5 -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/instance-id)',
    'complete_hook() {',
    '  # Outside a launch (a plain reboot of an instance in service) there is no action to complete.',
    '  aws autoscaling complete-lifecycle-action --region "$REGION" --auto-scaling-group-name "$GROUP" \\',
    '    --lifecycle-hook-name "$HOOK" --instance-id "$INSTANCE_ID" --lifecycle-action-result "$1" \\',
    '    || echo "bootstrap: no pending lifecycle action to complete with $1" >&2',
    '}',
    "trap 'complete_hook ABANDON' ERR",
    'command -v node-22 >/dev/null || command -v node-20 >/dev/null || dnf install -y nodejs22 || dnf install -y nodejs20',
    'NODE_BIN=$(command -v node-22 || command -v node-20 || command -v node)',
    'id shop >/dev/null 2>&1 || useradd --system --home-dir /opt/resilient-shop --shell /sbin/nologin shop',
    'install -d -o root -g root -m 0755 /opt/resilient-shop /etc/resilient-shop',
    'if [ "$(cat /opt/resilient-shop/current/.artifact-key 2>/dev/null || true)" != "$ARTIFACT_KEY" ]; then',
    `  aws s3 cp --region "$REGION" "s3://${o.artifactBucket}/$ARTIFACT_KEY" /opt/resilient-shop/artifact.zip`,
    '  rm -rf /opt/resilient-shop/next && mkdir -p /opt/resilient-shop/next',
    '  python3 -c "import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" /opt/resilient-shop/artifact.zip /opt/resilient-shop/next',
    '  echo "$ARTIFACT_KEY" > /opt/resilient-shop/next/.artifact-key',
    '  rm -rf /opt/resilient-shop/current && mv /opt/resilient-shop/next /opt/resilient-shop/current',
    'fi',
    // The RDS certificate authorities ship inside the artifact: no internet at boot.
    `install -m 0644 /opt/resilient-shop/current/${o.caFileInArtifact} ${o.caFile}`,
    `cat > /etc/resilient-shop/env <<'SHOPENV'\n${o.environment}\nSHOPENV`,
    'chmod 0644 /etc/resilient-shop/env',
    `cat > /etc/systemd/system/resilient-shop.service <<SHOPUNIT\n${o.shopUnit}\nSHOPUNIT`,
    'systemctl daemon-reload',
    'systemctl enable resilient-shop.service',
    'systemctl restart resilient-shop.service',
    // Any answer of /healthz means the process is alive (the ALB's rule too); the database may lag.
    'alive=""',
    'for _ in $(seq 1 90); do',
    `  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${SHOP_PORT}${HEALTH_PATH} || true)`,
    '  if [ "$code" = 200 ] || [ "$code" = 503 ]; then alive=1; break; fi',
    '  sleep 2',
    'done',
    'if [ -z "$alive" ]; then echo "bootstrap: the shop did not answer within 180 s" >&2; false; fi',
    'trap - ERR',
    'complete_hook CONTINUE',
  ].join('\n');
}

/** The oneshot unit that runs the bootstrap on every boot, before nothing else depends on it. */
export function bootstrapUnit(): string {
  return [
    '[Unit]',
    'Description=resilient-shop bootstrap (every boot; completes the launch lifecycle hook)',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/bin/bash ${BOOTSTRAP_SCRIPT}`,
    'TimeoutStartSec=600',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}
