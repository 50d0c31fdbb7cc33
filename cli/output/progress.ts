import { duration, Painter } from './table';

export type StepMark =
  | 'pending'
  | 'running'
  | 'done'
  | 'skipped'
  | 'failed'
  | 'unknown'
  | 'interrupted'
  | 'not-run';

interface Row {
  title: string;
  mark: StepMark;
  detail: string;
  startedAt?: number;
  endedAt?: number;
}

const LABEL: Record<StepMark, string> = {
  pending: '[    ]',
  running: '[ .. ]',
  done: '[ OK ]',
  skipped: '[SKIP]',
  failed: '[FAIL]',
  unknown: '[ ?? ]',
  interrupted: '[INT ]',
  'not-run': '[ -- ]',
};

/**
 * A step list with elapsed time per step. On a terminal it redraws in place (and ticks every second);
 * otherwise it prints one line per change, which reads well in logs and CI.
 */
export class StepProgress {
  private readonly rows: Row[];
  private drawn = 0;
  private ticker?: NodeJS.Timeout;

  constructor(
    titles: readonly string[],
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly clock: () => number,
    private readonly paint: Painter,
  ) {
    this.rows = titles.map((title) => ({ title, mark: 'pending', detail: '' }));
  }

  start(i: number): void {
    Object.assign(this.rows[i], { mark: 'running', startedAt: this.clock(), detail: '' });
    this.changed(i);
    if (this.tty && !this.ticker) {
      this.ticker = setInterval(() => this.redraw(), 1000);
      this.ticker.unref();
    }
  }

  detail(i: number, text: string): void {
    this.rows[i].detail = text;
    this.changed(i);
  }

  finish(i: number, mark: StepMark, text?: string): void {
    const row = this.rows[i];
    row.mark = mark;
    if (row.startedAt !== undefined) row.endedAt = this.clock();
    if (text !== undefined) row.detail = text;
    this.changed(i);
  }

  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private changed(i: number): void {
    if (this.tty) this.redraw();
    else this.write(this.render(i) + '\n');
  }

  private render(i: number): string {
    const r = this.rows[i];
    const label =
      r.mark === 'done'
        ? this.paint.green(LABEL[r.mark])
        : r.mark === 'failed' || r.mark === 'interrupted' || r.mark === 'unknown'
          ? this.paint.red(LABEL[r.mark])
          : LABEL[r.mark];
    const elapsed =
      r.startedAt !== undefined ? ` (${duration((r.endedAt ?? this.clock()) - r.startedAt)})` : '';
    return `${label} ${i + 1}. ${r.title}${elapsed}${r.detail ? `: ${r.detail}` : ''}`;
  }

  private redraw(): void {
    const up = this.drawn ? `\x1b[${this.drawn}A` : '';
    const body = this.rows.map((_, i) => `\x1b[2K${this.render(i)}`).join('\n');
    this.write(`${up}\r${body}\n`);
    this.drawn = this.rows.length;
  }
}
