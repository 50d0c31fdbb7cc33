/**
 * The shop's check of test requests: `x-shop-synthetic` (a checkout rolled back) and `x-shop-drill`
 * (a real order left out of fulfilment) are honoured only when signed with the test-signing key
 * (lib/contract/test-signature.ts). A request that carries one of them unsigned, expired or forged
 * is refused with 403 and changes nothing: never treated as a customer's request, because a canary
 * whose key went wrong would otherwise place a real order every minute, and refused loudly so the
 * canary reports it.
 *
 * On AWS the web tier always sets `SHOP_TEST_SIGNING_SECRET_NAME` (test/payments-stack.test.ts).
 * Without it (a local run) the headers keep their unsigned meaning (`1`), and the shop says so at start.
 */
import type { IncomingMessage } from 'node:http';
import { DRILL_HEADER, SHOP_ENV, SYNTHETIC_HEADER } from '../../lib/contract/shop';
import { verifyTestSignature } from '../../lib/contract/test-signature';
import { HttpError } from './http';
import type { Logger } from './types';

/** What a request's test headers mean once checked. */
export interface TestHeaders {
  readonly synthetic: boolean;
  readonly drill: boolean;
}

/** Options of {@link TestRequestGate}. */
export interface TestRequestGateOptions {
  /** The accepted keys: the current one first, then the previous one during a rotation. */
  readonly readKeys: () => Promise<string[]>;
  /** Milliseconds since the epoch (tests pin it). @default Date.now */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Keys are re-read after this long. @default 5 minutes */
  readonly ttlMs?: number;
  /** After a signature no key verifies, the keys are re-read at most this often (a rotation). @default 60 s */
  readonly refreshAfterForgedMs?: number;
}

/** Verifies signed test headers; keeps the last keys read when Secrets Manager cannot be reached. */
export class TestRequestGate {
  private keys: string[] | undefined;
  private readAt = -Infinity;
  private loading: Promise<string[]> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: TestRequestGateOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * The request's test headers, verified.
   * @throws HttpError 403 when one is present and not validly signed; 503 when no key could be read yet.
   */
  async check(req: IncomingMessage): Promise<TestHeaders> {
    const present = [SYNTHETIC_HEADER, DRILL_HEADER].filter((h) => req.headers[h] !== undefined);
    if (present.length === 0) return { synthetic: false, drill: false };
    for (const header of present) await this.verify(req, header);
    return { synthetic: present.includes(SYNTHETIC_HEADER), drill: present.includes(DRILL_HEADER) };
  }

  private async verify(req: IncomingMessage, header: string): Promise<void> {
    const raw = req.headers[header];
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    let result = verifyTestSignature(await this.currentKeys(), header, value, method, path, this.now());
    const age = this.now() - this.readAt;
    if (!result.ok && result.problem === 'forged' && age >= (this.o.refreshAfterForgedMs ?? 60_000)) {
      // The key may have been rotated since it was read: read it again once, then judge.
      result = verifyTestSignature(await this.currentKeys(true), header, value, method, path, this.now());
    }
    if (!result.ok) {
      this.o.logger?.warn('test header refused', { header, problem: result.problem, path });
      throw new HttpError(403, `The ${header} header needs a valid signature (${result.problem}).`);
    }
  }

  private async currentKeys(force = false): Promise<string[]> {
    const fresh = this.now() - this.readAt < (this.o.ttlMs ?? 300_000);
    if (this.keys && fresh && !force) return this.keys;
    this.loading ??= this.o
      .readKeys()
      .then((keys) => {
        if (keys.length === 0) throw new Error('no test-signing key');
        this.keys = keys;
        this.readAt = this.now();
        return keys;
      })
      .finally(() => {
        this.loading = undefined;
      });
    try {
      return await this.loading;
    } catch (e) {
      this.o.logger?.error('test-signing key not read', { error: (e as Error).message });
      if (this.keys) return this.keys;
      throw new HttpError(503, 'Test requests cannot be verified right now.');
    }
  }
}

/** The headers' unsigned meaning, for a shop without a test-signing key (local runs only). */
export function unsignedTestHeaders(req: IncomingMessage): TestHeaders {
  return { synthetic: req.headers[SYNTHETIC_HEADER] === '1', drill: req.headers[DRILL_HEADER] === '1' };
}

/**
 * Reads `{ key }` from the current and the previous version of the secret (the previous one may not
 * exist: a secret never rotated has none), so that a rotation does not refuse the canaries for the
 * minutes they still sign with the old key.
 */
export function secretsManagerTestKeys(secretId: string, region: string): () => Promise<string[]> {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  return async () => {
    const sm = await import('@aws-sdk/client-secrets-manager');
    client ??= new sm.SecretsManagerClient({ region, maxAttempts: 3 });
    const read = async (stage: string) => {
      const out = await client!.send(
        new sm.GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
      );
      const key = (JSON.parse(out.SecretString ?? '{}') as { key?: unknown }).key;
      if (typeof key !== 'string' || key.length < 32)
        throw new Error(`secret ${secretId} (${stage}) has no "key"`);
      return key;
    };
    const current = await read('AWSCURRENT');
    const previous = await read('AWSPREVIOUS').catch(() => undefined);
    return previous && previous !== current ? [current, previous] : [current];
  };
}

/** The gate the environment asks for, or undefined (unsigned headers accepted) without a secret name. */
export function testRequestGateFromEnv(
  env: NodeJS.ProcessEnv,
  region: string,
  logger: Logger,
): TestRequestGate | undefined {
  const secretName = env[SHOP_ENV.testSigningSecretName];
  if (!secretName) {
    logger.warn(
      `${SHOP_ENV.testSigningSecretName} is not set: ${SYNTHETIC_HEADER} and ${DRILL_HEADER} are accepted unsigned (local runs only)`,
    );
    return undefined;
  }
  return new TestRequestGate({ readKeys: secretsManagerTestKeys(secretName, region), logger });
}
