/** Graceful drain: stop accepting, let in-flight requests finish (bounded), then cut what is left. */
import type { Server } from 'node:http';

export interface DrainResult {
  /** True when the timeout expired and remaining connections were closed forcibly. */
  forced: boolean;
  elapsedMs: number;
}

export async function drainServer(server: Server, timeoutMs: number): Promise<DrainResult> {
  const started = Date.now();
  if (!server.listening) return { forced: false, elapsedMs: 0 };
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections that are idle now (or become idle after their response) are closed.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([closed.then(() => 'closed' as const), timeout]);
    if (outcome === 'timeout') {
      server.closeAllConnections();
      await closed;
      return { forced: true, elapsedMs: Date.now() - started };
    }
    return { forced: false, elapsedMs: Date.now() - started };
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
