/**
 * Admission control for database work: at most `capacity` units run at once (one pooled connection
 * each), at most `maxQueue` wait, and none waits longer than `maxWaitMs`. The excess is refused at
 * once with `OverloadedError`, which the routes answer with 503 + Retry-After: a busy but healthy
 * instance sheds load instead of queueing until every request times out, and never mistakes its
 * own queue for a database outage (pg-pool reports a pool wait with the same message as a failed
 * connect, so the wait must not happen inside the pool).
 *
 * Fair shares: waiting work is queued per client (shop/src/client.ts: the address the load
 * balancer saw) and a freed slot goes to the clients in turn, so a client with forty requests in
 * the queue gets one slot in turn like a client with one. When the queue is full, a newcomer takes
 * the place of the newest waiter of the client with the most waiters, if that client has more
 * waiters than the newcomer's client: one client can fill the queue only while nobody else wants it.
 *
 * Background work (`priority: 'low'`, the notice dispatcher) never takes a customer slot: it runs in
 * `backgroundSlots` slots of its own (the pool has that many connections more), so it cannot make a
 * checkout wait or be shed. Work that can wait for a quieter moment (`yieldToCustomers`, the
 * dispatcher's outbox reads) is refused while every customer slot is busy or anyone waits (checked
 * when it asks and again when the background slot comes free): under overload the database's time
 * goes to customers. Work that must not be lost (the write that records a notice as sent, which
 * guards against a second send) does not yield. Both wait for a busy background slot up to
 * `backgroundWaitMs` (then refused; the dispatcher's caller retries).
 */

/** The instance is busy: the request was not admitted (nothing was done). */
export class OverloadedError extends Error {
  constructor(readonly retryAfterS: number) {
    super('overloaded: too many requests waiting for the database');
  }
}

export type Priority = 'high' | 'normal' | 'low';
/** The priorities of work in the customer slots. */
type CustomerPriority = Exclude<Priority, 'low'>;

/** Client of work that no customer asked for (catalogue refresh). */
export const BACKGROUND_CLIENT = 'background';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  client: string;
  priority: CustomerPriority;
}

interface BackgroundWaiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  yieldToCustomers: boolean;
}

export interface GateStats {
  active: number;
  queued: number;
  admitted: number;
  shed: number;
  /** The background slots (`priority: 'low'`), counted apart from the customers'. */
  background: { active: number; queued: number; admitted: number; shed: number };
}

/** Options of `Gate.run`. */
export interface AdmissionOptions {
  /**
   * `high` goes ahead of other waiting work. Only checkouts of a cart known to exist get it (see
   * routes.ts), so junk checkouts cannot buy priority.
   */
  priority?: Priority;
  /** `false`: run only if a slot is free now (background work such as a catalogue refresh). */
  wait?: boolean;
  /** Who asked (fair shares); default: one shared anonymous client. */
  client?: string;
  /**
   * `low` only (default true): refuse while every customer slot is busy or anyone waits. False for
   * work that must be done (and is retried).
   */
  yieldToCustomers?: boolean;
}

export class Gate {
  private active = 0;
  /** Per priority, the waiting clients in turn order (Map order), each with its waiters oldest first. */
  private readonly queues: Record<CustomerPriority, Map<string, Waiter[]>> = {
    high: new Map(),
    normal: new Map(),
  };
  /** Waiters per client over both priorities. */
  private readonly perClient = new Map<string, number>();
  private queued = 0;
  private admitted = 0;
  private shed = 0;
  private readonly background = { active: 0, admitted: 0, shed: 0 };
  /** Background work waiting for a background slot, oldest first. */
  private readonly backgroundQueue: BackgroundWaiter[] = [];

  /**
   * @param backgroundSlots slots for `priority: 'low'` work on top of `capacity` (the pool must have
   *   `capacity + backgroundSlots` connections).
   * @param backgroundWaitMs longest wait for a busy background slot.
   */
  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
    readonly maxWaitMs: number,
    readonly backgroundSlots = 1,
    readonly backgroundWaitMs = 1000,
  ) {}

  /** Runs `fn` once a slot is free (see `AdmissionOptions`). */
  async run<T>(fn: () => Promise<T>, opts: AdmissionOptions = {}): Promise<T> {
    if (opts.priority === 'low') {
      await this.acquireBackground(opts.yieldToCustomers ?? true);
      try {
        return await fn();
      } finally {
        this.releaseBackground();
      }
    }
    await this.acquire(opts.priority ?? 'normal', opts.wait ?? true, opts.client ?? '');
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Whether a slot is free right now. */
  get idle(): boolean {
    return this.active < this.capacity;
  }

  /** Whether customers are using every slot or waiting for one: background work that yields is refused. */
  get busy(): boolean {
    return this.active >= this.capacity || this.queued > 0;
  }

  stats(): GateStats {
    return {
      active: this.active,
      queued: this.queued,
      admitted: this.admitted,
      shed: this.shed,
      background: { ...this.background, queued: this.backgroundQueue.length },
    };
  }

  private acquireBackground(yieldToCustomers: boolean): Promise<void> {
    const b = this.background;
    if (yieldToCustomers && this.busy) {
      b.shed++;
      return Promise.reject(new OverloadedError(1));
    }
    if (b.active < this.backgroundSlots) {
      b.active++;
      b.admitted++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: BackgroundWaiter = {
        resolve,
        reject,
        yieldToCustomers,
        timer: setTimeout(() => {
          const i = this.backgroundQueue.indexOf(waiter);
          if (i === -1) return;
          this.backgroundQueue.splice(i, 1);
          b.shed++;
          reject(new OverloadedError(1));
        }, this.backgroundWaitMs),
      };
      waiter.timer.unref();
      this.backgroundQueue.push(waiter);
    });
  }

  /** The slot passes to the oldest background waiter; one that yields is refused if customers are busy now. */
  private releaseBackground(): void {
    for (;;) {
      const next = this.backgroundQueue.shift();
      if (!next) {
        this.background.active--;
        return;
      }
      clearTimeout(next.timer);
      if (next.yieldToCustomers && this.busy) {
        this.background.shed++;
        next.reject(new OverloadedError(1));
        continue;
      }
      this.background.admitted++;
      next.resolve(); // the slot passes to the waiter
      return;
    }
  }

  private refuse(): OverloadedError {
    this.shed++;
    return new OverloadedError(1);
  }

  private remove(w: Waiter): boolean {
    const q = this.queues[w.priority];
    const list = q.get(w.client);
    const i = list ? list.indexOf(w) : -1;
    if (!list || i === -1) return false;
    list.splice(i, 1);
    if (list.length === 0) q.delete(w.client);
    const n = (this.perClient.get(w.client) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(w.client);
    else this.perClient.set(w.client, n);
    this.queued--;
    return true;
  }

  /**
   * The waiter to drop for a newcomer of `client`: the newest of the client with the most waiters
   * when it has more than `client` (its normal work first), else, for a checkout, the newest normal
   * waiter of the busiest client that has one.
   */
  private victim(client: string, priority: CustomerPriority): Waiter | undefined {
    const mine = this.perClient.get(client) ?? 0;
    let heaviest: string | undefined;
    let most = 0;
    for (const [c, n] of this.perClient) {
      if (n > most) [heaviest, most] = [c, n];
    }
    if (heaviest !== undefined && most > mine + 1) {
      const normal = this.queues.normal.get(heaviest);
      if (normal?.length) return normal[normal.length - 1];
      if (priority === 'high') {
        const high = this.queues.high.get(heaviest);
        if (high?.length) return high[high.length - 1];
      }
    }
    if (priority !== 'high') return undefined;
    let best: Waiter[] | undefined;
    for (const list of this.queues.normal.values()) if (!best || list.length > best.length) best = list;
    return best?.[best.length - 1];
  }

  private acquire(priority: CustomerPriority, wait: boolean, client: string): Promise<void> {
    if (this.active < this.capacity) {
      this.active++;
      this.admitted++;
      return Promise.resolve();
    }
    if (!wait) return Promise.reject(this.refuse());
    if (this.queued >= this.maxQueue) {
      const victim = this.victim(client, priority);
      if (!victim) return Promise.reject(this.refuse());
      this.remove(victim);
      clearTimeout(victim.timer);
      victim.reject(this.refuse());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        client,
        priority,
        timer: setTimeout(() => {
          if (this.remove(waiter)) reject(this.refuse());
        }, this.maxWaitMs),
      };
      waiter.timer.unref();
      const q = this.queues[priority];
      const list = q.get(client);
      if (list) list.push(waiter);
      else q.set(client, [waiter]);
      this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
      this.queued++;
    });
  }

  /** The next waiter: high priority first; within a priority, the clients in turn. */
  private next(): Waiter | undefined {
    for (const priority of ['high', 'normal'] as const) {
      const q = this.queues[priority];
      const first = q.entries().next();
      if (first.done) continue;
      const [client, list] = first.value;
      const w = list[0];
      this.remove(w);
      // The client goes to the back of the turn order (if it still waits).
      const rest = q.get(client);
      if (rest) {
        q.delete(client);
        q.set(client, rest);
      }
      return w;
    }
    return undefined;
  }

  private release(): void {
    const next = this.next();
    if (next) {
      clearTimeout(next.timer);
      this.admitted++;
      next.resolve(); // the slot passes to the waiter: `active` is unchanged
    } else {
      this.active--;
    }
  }
}
