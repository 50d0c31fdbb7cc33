/**
 * Admission control for database work: at most `capacity` units run at once (one pooled connection
 * each), at most `maxQueue` wait, and none waits longer than `maxWaitMs`. The excess is refused at
 * once with `OverloadedError`, which the routes answer with 503 + Retry-After: a busy but healthy
 * instance sheds load instead of queueing until every request times out, and never mistakes its
 * own queue for a database outage (pg-pool reports a pool wait with the same message as a failed
 * connect, so the wait must not happen inside the pool).
 */

/** The instance is busy: the request was not admitted (nothing was done). */
export class OverloadedError extends Error {
  constructor(readonly retryAfterS: number) {
    super('overloaded: too many requests waiting for the database');
  }
}

export type Priority = 'high' | 'normal';

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface GateStats {
  active: number;
  queued: number;
  admitted: number;
  shed: number;
}

export class Gate {
  private active = 0;
  private readonly queues: Record<Priority, Waiter[]> = { high: [], normal: [] };
  private admitted = 0;
  private shed = 0;

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
    readonly maxWaitMs: number,
  ) {}

  /**
   * Runs `fn` once a slot is free. `wait: false` runs only if a slot is free now (background work
   * such as a catalogue refresh). Checkouts pass `high`: they go ahead of other waiting work.
   */
  async run<T>(fn: () => Promise<T>, opts: { priority?: Priority; wait?: boolean } = {}): Promise<T> {
    await this.acquire(opts.priority ?? 'normal', opts.wait ?? true);
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

  stats(): GateStats {
    return {
      active: this.active,
      queued: this.queues.high.length + this.queues.normal.length,
      admitted: this.admitted,
      shed: this.shed,
    };
  }

  private refuse(): OverloadedError {
    this.shed++;
    return new OverloadedError(1);
  }

  private acquire(priority: Priority, wait: boolean): Promise<void> {
    if (this.active < this.capacity) {
      this.active++;
      this.admitted++;
      return Promise.resolve();
    }
    const queued = this.queues.high.length + this.queues.normal.length;
    if (!wait) return Promise.reject(this.refuse());
    if (queued >= this.maxQueue) {
      // A checkout may take the place of the newest waiting non-checkout request.
      const victim = priority === 'high' ? this.queues.normal.pop() : undefined;
      if (!victim) return Promise.reject(this.refuse());
      clearTimeout(victim.timer);
      victim.reject(this.refuse());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const q = this.queues[priority];
          const i = q.indexOf(waiter);
          if (i !== -1) q.splice(i, 1);
          reject(this.refuse());
        }, this.maxWaitMs),
      };
      waiter.timer.unref();
      this.queues[priority].push(waiter);
    });
  }

  private release(): void {
    const next = this.queues.high.shift() ?? this.queues.normal.shift();
    if (next) {
      clearTimeout(next.timer);
      this.admitted++;
      next.resolve(); // the slot passes to the waiter: `active` is unchanged
    } else {
      this.active--;
    }
  }
}
