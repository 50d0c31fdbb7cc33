/** The admission gate's fair shares, and the per-client token buckets (no database, fake clock). */
import { Gate, OverloadedError } from '../../shop/src/gate';
import { RateLimiter } from '../../shop/src/limits';
import { clientOf } from '../../shop/src/client';

/** Work that holds its slot until released. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

describe('Gate', () => {
  test('a freed slot goes to the waiting clients in turn, not to the one with the most waiters', async () => {
    const gate = new Gate(1, 20, 10_000);
    const order: string[] = [];
    const first = held();
    const running = gate.run(() => first.done);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 5; i++)
      waits.push(gate.run(async () => void order.push('flood'), { client: 'flood' }));
    waits.push(gate.run(async () => void order.push('customer'), { client: 'customer' }));
    first.release();
    await Promise.all([running, ...waits]);
    // The customer arrived last, behind five of the flooder's, and got the second slot.
    expect(order.indexOf('customer')).toBe(1);
  });

  test("a full queue: a newcomer takes the place of the busiest client's newest waiter", async () => {
    const gate = new Gate(1, 4, 10_000);
    const first = held();
    const running = gate.run(() => first.done);
    const flood = Array.from({ length: 4 }, () => gate.run(async () => 'flood', { client: 'flood' }));
    const settled = flood.map((p) =>
      p.then(
        () => 'ok',
        (e: unknown) => e,
      ),
    );
    const customer = gate.run(async () => 'customer', { client: 'customer' });
    // The flooder's fifth is refused at once: it is the busiest client.
    await expect(gate.run(async () => 'x', { client: 'flood' })).rejects.toBeInstanceOf(OverloadedError);
    first.release();
    await expect(customer).resolves.toBe('customer');
    const outcomes = await Promise.all(settled);
    expect(outcomes.filter((o) => o instanceof OverloadedError)).toHaveLength(1);
    await running;
  });

  test('checkouts go first; waiters that time out leave the queue', async () => {
    const gate = new Gate(1, 4, 50);
    const first = held();
    const running = gate.run(() => first.done);
    const late = gate.run(async () => 'late', { client: 'a' });
    await expect(late).rejects.toBeInstanceOf(OverloadedError);
    expect(gate.stats().queued).toBe(0);
    const order: string[] = [];
    const normal = gate.run(async () => void order.push('normal'), { client: 'a' });
    const high = gate.run(async () => void order.push('high'), { client: 'b', priority: 'high' });
    first.release();
    await Promise.all([running, normal, high]);
    expect(order).toEqual(['high', 'normal']);
  });
});

describe('RateLimiter', () => {
  test('a burst, then the rate; clients are counted apart; Retry-After in seconds', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perMinute: 6 }, 100, () => now);
    expect([1, 2, 3].map(() => limiter.take('a'))).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(10);
    expect(limiter.take('b')).toBe(0);
    now += 10_000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });

  test('remembers at most maxClients (the least recently seen is forgotten)', () => {
    const limiter = new RateLimiter({ burst: 1, perMinute: 1 }, 2, () => 0);
    limiter.take('a');
    limiter.take('b');
    limiter.take('c');
    // 'a' was forgotten: it starts with a full bucket again; 'c' is remembered.
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('c')).toBeGreaterThan(0);
  });
});

describe('clientOf', () => {
  const req = (xff: string | undefined, remote = '10.0.0.5') =>
    ({
      headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
      socket: { remoteAddress: remote },
    }) as never;
  test.each([
    ['203.0.113.10', '203.0.113.10'],
    // The client's own claim comes first; the ALB appends the address it saw last.
    ['1.2.3.4, 203.0.113.10', '203.0.113.10'],
    ['spoofed,  2001:db8::1 ', '2001:db8::1'],
  ])('X-Forwarded-For %p -> %p', (xff, client) => {
    expect(clientOf(req(xff))).toBe(client);
  });
  test('without the header: the peer address', () => {
    expect(clientOf(req(undefined))).toBe('10.0.0.5');
  });
});
