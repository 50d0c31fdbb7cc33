import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Names } from '../../lib/config/names';
import { signTestRequest } from '../../lib/contract/test-signature';
import { aws, describeError } from '../aws/errors';
import type { Deps } from '../aws/deps';

/**
 * Signs the drill probe's test headers (lib/contract/test-signature.ts) with the test-signing key,
 * read once from the first region that answers (every region, and the edge region, holds a copy),
 * under the run's deadlines. A key that cannot be read fails the probe's purchase with the reason,
 * so the drill's baseline sees it before any fault is injected.
 */
export function testSigner(d: Deps): (header: string, method: string, path: string) => Promise<string> {
  let key: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    const errors: string[] = [];
    for (const region of [...d.config.regions.map((r) => r.name), Names.EDGE_REGION]) {
      try {
        const out = await aws(d, region, 'secretsmanager:GetSecretValue', (o) =>
          d
            .clients(region)
            .secrets.send(new GetSecretValueCommand({ SecretId: d.names.testSigningSecretName() }), o),
        );
        const value = (JSON.parse(out.SecretString ?? '{}') as { key?: unknown }).key;
        if (typeof value === 'string' && value.length >= 32) return value;
        errors.push(`${region}: the secret has no "key"`);
      } catch (e) {
        errors.push(describeError(e, d.profile));
      }
    }
    throw new Error(`test-signing key ${d.names.testSigningSecretName()} not read (${errors.join('; ')})`);
  };
  return async (header, method, path) => {
    key ??= read();
    try {
      return signTestRequest(await key, header, method, path, Date.now());
    } catch (e) {
      key = undefined; // read again next time
      throw e;
    }
  };
}
