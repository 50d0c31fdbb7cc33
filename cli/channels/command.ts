import type { Command } from 'commander';
import { executeAction } from '../action/action';
import { offlinePreview, planOrPreview } from '../action/offline';
import type { Deps } from '../aws/deps';
import { EXIT, UsageError } from '../aws/errors';
import { gatherChannels, renderChannelsLines } from './status';
import { configuredChannels, parseChannel, planChannelSwitch } from './switch';

/** Flags of `shopctl channels disable|enable`. */
export interface ChannelSwitchFlags {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
}

/** `shopctl channels disable|enable <channel>`. */
export async function channelSwitchCommand(
  d: Deps,
  action: 'disable' | 'enable',
  channel: string,
  f: ChannelSwitchFlags,
  args: readonly string[],
): Promise<number> {
  const target = parseChannel(d.config, channel);
  const planned = await planOrPreview(
    !!f.dryRun,
    () =>
      planChannelSwitch(
        d,
        { action, channel: target, dryRun: !!f.dryRun, yes: !!f.yes, force: !!f.force },
        args,
      ),
    () => {
      const left = configuredChannels(d.config).filter((c) => action === 'enable' || c !== target);
      return offlinePreview(
        d,
        `channels ${action}`,
        args,
        `Plan: ${action} channel ${target} in the shops of ${d.config.regions.map((r) => r.name).join(', ')}`,
        [
          {
            title: `${action === 'disable' ? 'Disable' : 'Enable'} channel ${target} in every region`,
            region: d.config.regions.map((r) => r.name).join(', '),
            changes: `SSM ${d.names.notifySwitchParameter()} (${action === 'disable' ? 'add' : 'remove'} "${target}"), read back when an answer is lost`,
          },
        ],
        [
          "each region's current switch (what is already off)",
          `whether any channel stays on (if only ${target} were off: ${left.join(' → ') || 'NONE'})`,
          'the account of the credentials',
        ],
      );
    },
  );
  if ('exitCode' in planned) return planned.exitCode;
  return executeAction(d, planned.spec);
}

/**
 * `shopctl channels status`: exit 0 when every channel is on and closed with no alarm, 1 when one is
 * switched off, open or alarming, 3 when nothing could be read (or without credentials).
 */
export async function channelsStatusCommand(d: Deps, opts: { json?: boolean }): Promise<number> {
  if (!d.config.notifications) {
    throw new UsageError(
      `config "${d.config.configName}" has no notifications key: no channel is deployed. Add "notifications" to the config (docs/notifications.md)`,
    );
  }
  const report = await gatherChannels(d);
  if (report.withoutCredentials) d.err(report.withoutCredentials);
  d.out(opts.json ? JSON.stringify(report, null, 2) : renderChannelsLines(report).join('\n'));
  if (report.verdict === 'unknown' || report.withoutCredentials) return EXIT.unknown;
  return report.verdict === 'ok' ? EXIT.ok : EXIT.affected;
}

type Run = (
  command: string | null,
  fn: (d: Deps, args: readonly string[]) => Promise<number>,
  fallback: number,
) => () => Promise<void>;

/** Adds `shopctl channels status|disable|enable` to the program. */
export function registerChannelsCommands(program: Command, run: Run): void {
  const channels = program
    .command('channels')
    .description(
      'customer notice channels (알림톡, SMS, e-mail): health, and the operator switch in every region',
    );
  channels
    .command('status')
    .description("switch, each region's dispatcher (breakers, counters, oldest unsent) and notify alarms")
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nExamples:\n  npx shopctl channels status\n  npx shopctl channels status --json\n\nRunbook: docs/runbook.md',
    )
    .action(async (opts: { json?: boolean }) =>
      run(null, (d) => channelsStatusCommand(d, opts), EXIT.unknown)(),
    );
  for (const action of ['disable', 'enable'] as const) {
    channels
      .command(`${action} <channel>`)
      .description(`${action} a notice channel (alimtalk, sms, email) in every region's dispatcher`)
      .option('--dry-run', 'print the plan; change nothing')
      .option('--yes', 'do not ask for confirmation')
      .option('--force', 'override refusals (no channel left on, another account)')
      .addHelpText(
        'after',
        `\nExamples:\n  npx shopctl channels ${action} alimtalk --dry-run\n  npx shopctl channels ${action} alimtalk --yes\n\nRunbook: docs/runbook.md`,
      )
      .action(async (channel: string, opts: ChannelSwitchFlags) =>
        run(
          `channels ${action}`,
          (d, args) => channelSwitchCommand(d, action, channel, opts, args),
          EXIT.failed,
        )(),
      );
  }
}
