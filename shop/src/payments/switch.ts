/**
 * The operator's payments switch (data plane): an SSM String parameter in every region,
 * `/${appName}/payments/disabled`, holding a JSON array of `provider:<id>` / `method:<method>`
 * (`[]` when nothing is disabled), written by `shopctl payments`. Polled every 15 s; a failed or
 * unreadable read keeps the last good value, so an SSM outage never changes routing.
 * GetParameter: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 */
import type { Logger } from '../types';

/** Reads the parameter's current value (injectable: tests pass a function). */
export type SwitchReader = () => Promise<string>;

export const SWITCH_POLL_MS = 15_000;

/** A reader of the parameter through SSM GetParameter in `region`. */
export function ssmSwitchReader(name: string, region: string): SwitchReader {
  let client: import('@aws-sdk/client-ssm').SSMClient | undefined;
  return async () => {
    const ssm = await import('@aws-sdk/client-ssm');
    client ??= new ssm.SSMClient({ region, maxAttempts: 2 });
    const out = await client.send(new ssm.GetParameterCommand({ Name: name }));
    return out.Parameter?.Value ?? '[]';
  };
}

/** Parses the switch value; throws on anything but an array of `provider:`/`method:` strings. */
export function parseSwitch(value: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (
    !Array.isArray(parsed) ||
    !parsed.every((v) => typeof v === 'string' && /^(provider|method):[a-z0-9-]+$/.test(v))
  )
    throw new Error('payments switch must be a JSON array of "provider:<id>" or "method:<method>"');
  return parsed as string[];
}

export class PaymentSwitch {
  private disabled = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  lastReadAt: Date | undefined;
  lastError: string | undefined;

  constructor(
    private readonly reader: SwitchReader | undefined,
    private readonly logger: Logger,
    private readonly pollMs = SWITCH_POLL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads once now; keeps the previous value on failure. */
  async refresh(): Promise<void> {
    if (!this.reader) return;
    try {
      const next = parseSwitch(await this.reader());
      const changed = next.join() !== [...this.disabled].join();
      this.disabled = new Set(next);
      this.lastReadAt = new Date(this.now());
      this.lastError = undefined;
      if (changed) this.logger.info('payments switch changed', { disabled: next });
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger.warn('payments switch not read; keeping the last value', { error: this.lastError });
    }
  }

  start(): void {
    if (!this.reader || this.timer) return;
    this.timer = setInterval(() => void this.refresh(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  isDisabled(provider: string, method: string): boolean {
    return this.disabled.has(`provider:${provider}`) || this.disabled.has(`method:${method}`);
  }

  list(): string[] {
    return [...this.disabled];
  }
}
