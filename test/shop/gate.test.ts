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

  test('background work runs in its own slot: it never takes a customer slot nor holds a customer back', async () => {
    const gate = new Gate(1, 2, 10_000, 1);
    const notice = held();
    const reading = gate.run(() => notice.done, { priority: 'low' });
    // The one customer slot is still free for a checkout, while the background slot is held.
    expect(gate.idle).toBe(true);
    const customer = held();
    const buying = gate.run(() => customer.done, { priority: 'high' });
    expect(gate.stats()).toMatchObject({ active: 1, background: { active: 1 } });
    notice.release();
    customer.release();
    await Promise.all([reading, buying]);
  });

  test('a read waiting for the background slot is refused when it comes free while customers are busy', async () => {
    const gate = new Gate(1, 2, 10_000, 1, 10_000);
    const other = held();
    const first = gate.run(() => other.done, { priority: 'low', yieldToCustomers: false });
    const read = gate.run(async () => 'read', { priority: 'low' });
    const customer = held();
    const buying = gate.run(() => customer.done, { priority: 'high' });
    other.release();
    await expect(read).rejects.toBeInstanceOf(OverloadedError);
    customer.release();
    await Promise.all([first, buying]);
  });

  test('a read that yields is refused while customers use every slot or wait; a write that must be done waits for the background slot', async () => {
    const gate = new Gate(1, 2, 10_000, 1, 10_000);
    const customer = held();
    const buying = gate.run(() => customer.done, { priority: 'high' });
    await expect(gate.run(async () => 'read', { priority: 'low' })).rejects.toBeInstanceOf(OverloadedError);
    // The outcome write of a sent notice goes through under the same load.
    await expect(gate.run(async () => 'written', { priority: 'low', yieldToCustomers: false })).resolves.toBe(
      'written',
    );
    // And waits its turn behind another background unit rather than being refused.
    const other = held();
    const first = gate.run(() => other.done, { priority: 'low', yieldToCustomers: false });
    const second = gate.run(async () => 'after', { priority: 'low', yieldToCustomers: false });
    expect(gate.stats().background).toMatchObject({ active: 1, queued: 1 });
    other.release();
    await expect(second).resolves.toBe('after');
    customer.release();
    await Promise.all([buying, first]);
    expect(gate.stats().background).toEqual({ active: 0, queued: 0, admitted: 3, shed: 1 });
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
