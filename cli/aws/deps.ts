import type { ShopConfig } from '../../lib/config/load';
import type { Names } from '../../lib/config/names';
import type { ClientsFor } from './clients';
import type { CallContext } from './deadline';

/** Minimal response shape the CLI needs from `fetch`. */
export interface HttpResponse {
  readonly status: number;
  json(): Promise<unknown>;
}

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<HttpResponse>;

/** Everything the logic touches outside itself, so tests can replace it. */
export interface Deps extends CallContext {
  readonly config: ShopConfig;
  readonly names: Names;
  readonly clients: ClientsFor;
  /** Region for "global" reads and writes (Route 53, S3 outage bucket, CloudFront, its SSM parameter). */
  readonly globalRegion: string;
  /** The --region flag as given (repeated in printed resume and rollback commands). */
  readonly globalRegionFlag?: string;
  readonly fetch: FetchLike;
  readonly resolve4: (host: string) => Promise<string[]>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Poll interval while waiting for the database and the shop. */
  readonly pollMs: number;
  /** How long to wait for the database writer to move. */
  readonly dbTimeoutMs: number;
  /** How long to wait for the new writer region's /healthz to report read-write. */
  readonly verifyTimeoutMs: number;
  /** Timeout of one HTTP request to /healthz. */
  readonly httpTimeoutMs: number;
  /**
   * Everything `shopctl status` waits for (every region and section at once): each call's deadline is
   * cut to the time left, so a stalled region costs this much, not a chain of call deadlines.
   */
  readonly statusBudgetMs: number;
  /** Budget of the remote audit write across every region (it never blocks the exit longer). */
  readonly auditTimeoutMs: number;
  /** Asks yes/no; `signal` cancels the prompt when the run is interrupted. */
  readonly confirm: (message: string, signal: AbortSignal) => Promise<boolean>;
  /** stdin is a terminal (a confirmation prompt is possible). */
  readonly interactive: boolean;
  /** stdout is a terminal (progress redraws in place). */
  readonly ttyOut: boolean;
  readonly color: boolean;
  readonly verbose: boolean;
  readonly profile?: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Raw stdout writer (for in-place progress). */
  readonly write: (text: string) => void;
  readonly auditFile: string;
  readonly osUser: string;
}
