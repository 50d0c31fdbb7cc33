/**
 * The operator's payments switch (data plane): an SSM String parameter in every region,
 * `/${appName}/payments/disabled`, holding a JSON array of `provider:<id>` / `method:<method>`
 * (`[]` when nothing is disabled), written by `shopctl payments`. Polling and keep-last-value on a
 * failed read: ../operator-switch.ts.
 */
import { OperatorSwitch, SWITCH_POLL_MS, type SwitchReader } from '../operator-switch';
import type { Logger } from '../types';

export { ssmSwitchReader, SWITCH_POLL_MS, type SwitchReader } from '../operator-switch';

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

export class PaymentSwitch extends OperatorSwitch {
  constructor(reader: SwitchReader | undefined, logger: Logger, pollMs = SWITCH_POLL_MS, now?: () => number) {
    super({ name: 'payments', parse: parseSwitch }, reader, logger, pollMs, now);
  }

  isDisabled(provider: string, method: string): boolean {
    return this.has(`provider:${provider}`) || this.has(`method:${method}`);
  }
}
