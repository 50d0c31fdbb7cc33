/**
 * Moving the database writer, behind one interface for the game days: `awsPromotion` is shopctl's
 * own promotion (cli/database/database.ts: find the target member, Switchover/FailoverGlobalCluster,
 * wait for the writer), and `npm run drill:local` implements the same interface with PostgreSQL
 * (scripts/drill-local/database.ts), so the local drill rehearses the steps shopctl takes.
 */
import { describeGlobalDb, memberOf, promote, waitForWriter } from '../database/database';
import type { Deps } from '../aws/deps';
import { StepFailure } from '../aws/errors';

/** Moves the writer role between regions. */
export interface WriterPromotion {
  /** Starts moving the writer to `target`: a switchover (no loss) or, when `unplanned`, a failover. */
  promote(target: string, unplanned: boolean): Promise<void>;
  /** Resolves when `target` is the writer and accepts writes. */
  waitForWriter(target: string, onUpdate: (text: string) => void): Promise<void>;
}

/** shopctl's promotion of an Aurora global database member. */
export function awsPromotion(d: Deps): WriterPromotion {
  return {
    async promote(target, unplanned) {
      const order = [target, ...d.config.regions.map((r) => r.name).filter((r) => r !== target)];
      const member = memberOf(d, await describeGlobalDb(d, order), target);
      if (!member) throw new StepFailure(`${target} has no member in ${d.names.globalClusterId()}`);
      await promote(d, target, member.arn, unplanned);
    },
    async waitForWriter(target, onUpdate) {
      await waitForWriter(d, target, onUpdate);
    },
  };
}
