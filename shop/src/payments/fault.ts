/**
 * The payment game day's fault switch, shop side (lib/contract/payments.ts `DrillFault`): an SSM
 * parameter in this region, read like the operator switch (every 15 s, the last good value kept
 * when a read fails). While it names a provider and its `until` is ahead of this shop's clock, every
 * call this shop makes to that provider fails as an outage would, BEFORE anything is sent:
 * - `refuse`: a refused connection (`connect`, nothing sent: nothing can have been charged);
 * - `stall`: no answer until the provider's own timeout, then `timeout` (may have been processed,
 *   as the shop must assume of a real stall: the attempt becomes unknown until a look-up settles it).
 *
 * The routing is not told: the breaker must see the failures and open (docs/payments-operations.md,
 * "Game day: a provider outage"). `until` ends the fault by itself if nobody restores the parameter.
 */
import { type DrillFault, parseDrillFault } from '../../../lib/contract/payments';
import type { Logger } from '../types';
import type { SwitchReader } from './switch';
import { ProviderCallError, type PaymentProvider } from './types';

export class DrillFaultSwitch {
  private fault: DrillFault | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly reader: SwitchReader | undefined,
    private readonly logger: Logger,
    private readonly pollMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads once now; keeps the previous value on failure. */
  async refresh(): Promise<void> {
    if (!this.reader) return;
    try {
      const next = parseDrillFault(await this.reader());
      if (JSON.stringify(next) !== JSON.stringify(this.fault))
        this.logger.warn(next ? 'payment drill fault in force' : 'payment drill fault cleared', {
          fault: next ?? null,
        });
      this.fault = next;
    } catch (err) {
      this.logger.warn('payment drill fault switch not read; keeping the last value', {
        error: (err as Error).message,
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

  /** The fault in force now (its `until` not passed), if any. */
  active(): DrillFault | undefined {
    const f = this.fault;
    return f && Date.parse(f.until) > this.now() ? f : undefined;
  }

  /** The fault in force now for `provider`, if any. */
  activeFor(provider: string): DrillFault | undefined {
    const f = this.active();
    return f?.provider === provider ? f : undefined;
  }
}

/**
 * `provider` with every call that reaches the provider made to fail while the drill's fault names
 * it. `startWindow` fails only where it calls the provider (KakaoPay `ready`; Toss's window is the
 * customer's browser talking to Toss, which a fault in this shop cannot and must not touch).
 */
export function withDrillFault(
  provider: PaymentProvider,
  faults: DrillFaultSwitch,
  timeoutMs: number,
): PaymentProvider {
  const gate = async () => {
    const f = faults.activeFor(provider.id);
    if (!f) return;
    if (f.mode === 'stall') {
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw new ProviderCallError('timeout', true, `no answer within ${timeoutMs} ms (game-day fault)`);
    }
    throw new ProviderCallError('connect', false, 'could not connect: ECONNREFUSED (game-day fault)');
  };
  return {
    id: provider.id,
    kind: provider.kind,
    methods: provider.methods,
    windowCallsProvider: provider.windowCallsProvider,
    async startWindow(attempt, urls, orderName) {
      if (provider.windowCallsProvider) await gate();
      return provider.startWindow(attempt, urls, orderName);
    },
    // The shop's own window page (Toss's browser SDK): no call to the provider's API.
    ...(provider.windowPage && { windowPage: provider.windowPage.bind(provider) }),
    // Sealing and opening a recovery key is the shop's own signature: no call to the provider.
    ...(provider.sealRecovery && { sealRecovery: provider.sealRecovery.bind(provider) }),
    ...(provider.openRecovery && { openRecovery: provider.openRecovery.bind(provider) }),
    returnRef: (attempt, params) => provider.returnRef(attempt, params),
    checkReturn: (attempt, params) => provider.checkReturn(attempt, params),
    async confirm(attempt, params) {
      await gate();
      return provider.confirm(attempt, params);
    },
    async lookup(attempt) {
      await gate();
      return provider.lookup(attempt);
    },
    // The transaction list (Toss) is a provider API call like the look-up: the fault applies.
    ...(provider.listCharges && {
      listCharges: async (since: Date, until: Date) => {
        await gate();
        return provider.listCharges!(since, until);
      },
    }),
    async cancel(attempt, reason) {
      await gate();
      return provider.cancel(attempt, reason);
    },
  };
}
