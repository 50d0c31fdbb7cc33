/**
 * `npm run bench:status`: how long `shopctl status` takes when one region accepts connections and
 * never answers, with the production deadlines (timingsFromEnv defaults, SDK attempts of 5 s with a
 * 3 s connect). The stalled region's every API and its /healthz go to a local server that hangs
 * (test/cli/support/fault-server.ts); the other regions answer from the mocked world of the CLI
 * tests. Runs each case BENCH_RUNS times (default 3) and prints the median wall time per case.
 */
import { performance } from 'node:perf_hooks';
import { timingsFromEnv } from '../cli/aws/deadline';
import { FaultServer } from '../test/cli/support/fault-server';
import { EDGE, PRIMARY, STANDBY, World } from '../test/cli/world';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

async function once(hang: FaultServer, stalled: string): Promise<{ ms: number; code: number; out: string }> {
  const t = timingsFromEnv();
  const w = new World();
  // production deadlines: the World's defaults are the CLI's own (no shortDeadlines)
  w.extra = {
    callTimeoutMs: t.callTimeoutMs,
    httpTimeoutMs: t.httpTimeoutMs,
    auditTimeoutMs: t.auditTimeoutMs,
  };
  w.stall(stalled, hang.url, undefined, { connectMs: t.connectTimeoutMs, attemptMs: t.attemptTimeoutMs });
  w.healthzServer.set(stalled, hang.url);
  const t0 = performance.now();
  const code = await w.run('status');
  return { ms: performance.now() - t0, code, out: w.out };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const hang = await FaultServer.start('hang');
  try {
    for (const stalled of [STANDBY, PRIMARY, EDGE]) {
      const times: number[] = [];
      let last = { ms: 0, code: 0, out: '' };
      for (let i = 0; i < RUNS; i++) {
        last = await once(hang, stalled);
        times.push(last.ms);
      }
      console.log(
        `status, ${stalled} stalled: median ${(median(times) / 1000).toFixed(1)} s over ${RUNS} runs ` +
          `(${times.map((x) => (x / 1000).toFixed(1)).join(', ')}), exit ${last.code}`,
      );
      if (process.env.BENCH_VERBOSE) console.log(last.out);
    }
  } finally {
    await hang.close();
  }
}

void main();
