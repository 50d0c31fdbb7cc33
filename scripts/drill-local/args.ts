/**
 * Command-line arguments of `npm run drill:local`: which config to drill, like `cdk synth`
 * (`-c config=NAME`) and `npm run report` (`--config NAME`).
 */

/** Usage line printed with `--help` and with every argument error. */
export const DRILL_USAGE =
  'Usage: npm run drill:local -- [-c config=NAME | --config NAME] (env: DRILL_TIME_SCALE=10 DRILL_WORKERS=4 DRILL_PROMOTE_ON=page|detect)';

/** What the arguments ask for. */
export type DrillArgs = { readonly help: true } | { readonly help: false; readonly config: string };

/** A bad argument: the message says which and how to write it. */
export class DrillArgsError extends Error {}

/**
 * Parses `-c config=NAME`, `-c NAME`, `--context config=NAME`, `--config NAME`, `--config=NAME`
 * and `--help`. The config defaults to `default`.
 * @throws DrillArgsError for anything else, naming the argument and the usage.
 */
export function parseDrillArgs(argv: readonly string[]): DrillArgs {
  let config = 'default';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return { help: true };
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('-'))
        throw new DrillArgsError(`${a} needs a value. ${DRILL_USAGE}`);
      return v;
    };
    if (a === '-c' || a === '--context') {
      const v = value();
      const m = /^([^=]+)=(.*)$/.exec(v);
      if (m && m[1] !== 'config')
        throw new DrillArgsError(`${a} ${v}: the drill reads only the context key "config". ${DRILL_USAGE}`);
      config = m ? m[2] : v;
    } else if (a === '--config') {
      config = value();
    } else if (a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else {
      throw new DrillArgsError(`unknown argument "${a}". ${DRILL_USAGE}`);
    }
    if (config === '') throw new DrillArgsError(`${a}: the config name is empty. ${DRILL_USAGE}`);
  }
  return { help: false, config };
}
