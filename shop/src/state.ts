/**
 * Small JSON files on local disk that outlive the process: the last good catalogue snapshot (so a
 * restarted instance serves the catalogue during a database outage) and the highest writer-fence
 * epoch seen (so a restart does not forget that a newer writer exists). Writes are atomic
 * (temporary file + rename) and never throw: the disk is a help, not a dependency.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from './types';

export class StateStore {
  constructor(
    /** Directory for the files (systemd `StateDirectory=`, e.g. /var/lib/resilient-shop); none = memory only. */
    readonly dir: string | undefined,
    private readonly logger: Logger,
  ) {}

  read<T>(name: string): T | undefined {
    if (!this.dir) return undefined;
    const file = path.join(this.dir, name);
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn('ignoring unreadable state file', { file, error: (err as Error).message });
      }
      return undefined;
    }
  }

  async write(name: string, value: unknown): Promise<void> {
    if (!this.dir) return;
    const file = path.join(this.dir, name);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await fs.promises.mkdir(this.dir, { recursive: true });
      await fs.promises.writeFile(tmp, JSON.stringify(value));
      await fs.promises.rename(tmp, file);
    } catch (err) {
      this.logger.warn('could not write state file', { file, error: (err as Error).message });
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
