/**
 * An operator's data-plane switch: an SSM String parameter in every region holding a JSON array of
 * things switched off (`[]` when none), written by `shopctl` and polled by the shop every 15 s. A
 * failed or unreadable read keeps the last good value, so an SSM outage never changes routing.
 * Payments (`/${app}/payments/disabled`) and notices (`/${app}/notify/disabled`) each have one.
 * GetParameter: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
 */
import type { Logger } from './types';

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

/** How one switch reads: its name in logs and the parser of its value (throws on a bad value). */
export interface SwitchKind {
  /** `payments`, `notify`: logged as "<name> switch changed". */
  name: string;
  parse: (value: string) => string[];
}

/** The switch's state as `GET /payments/health` and `GET /notify/health` report it. */
export interface SwitchReport {
  disabled: string[];
  lastReadAt: string | null;
  error: string | null;
}

export class OperatorSwitch {
  private disabled = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  lastReadAt: Date | undefined;
  lastError: string | undefined;

  constructor(
    private readonly kind: SwitchKind,
    private readonly reader: SwitchReader | undefined,
    protected readonly logger: Logger,
    private readonly pollMs = SWITCH_POLL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads once now; keeps the previous value on failure. */
  async refresh(): Promise<void> {
    if (!this.reader) return;
    try {
      const next = this.kind.parse(await this.reader());
      const changed = next.join() !== [...this.disabled].join();
      this.disabled = new Set(next);
      this.lastReadAt = new Date(this.now());
      this.lastError = undefined;
      if (changed) this.logger.info(`${this.kind.name} switch changed`, { disabled: next });
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger.warn(`${this.kind.name} switch not read; keeping the last value`, {
        error: this.lastError,
      });
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

  /** True when `entry` is switched off. */
  has(entry: string): boolean {
    return this.disabled.has(entry);
  }

  /** The entries switched off (a set that callers must not change). */
  set(): ReadonlySet<string> {
    return this.disabled;
  }

  list(): string[] {
    return [...this.disabled];
  }

  report(): SwitchReport {
    return {
      disabled: this.list(),
      lastReadAt: this.lastReadAt?.toISOString() ?? null,
      error: this.lastError ?? null,
    };
  }
}
