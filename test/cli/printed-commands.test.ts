/**
 * Every command shopctl prints for the operator to run (help examples, resume and rollback lines,
 * "run X" in warnings and outcomes) exists and parses: split as a POSIX shell splits it, it names a
 * real command with options that command takes, and the real program accepts it (commander raises no
 * usage error) when run as printed. Runs without credentials, so nothing it runs can change anything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { SwitchoverGlobalClusterCommand } from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { main } from '../../cli/main';
import { EXIT } from '../../cli/aws/errors';
import { CommandTree, parseHelp, unknownCommands } from '../support/doc-links';
import { EDGE, PRIMARY, SERVICES, STANDBY, throttle, timeout, World } from './world';

/** Words of `line` as a POSIX shell splits them ('…' literal, "…" with \ escapes, \ outside quotes). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (/\s/.test(c)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unbalanced ' in: ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      cur ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) i++;
        cur += line[i];
      }
      if (i >= line.length) throw new Error(`unbalanced " in: ${line}`);
    } else if (c === '\\') {
      cur = (cur ?? '') + (line[++i] ?? '');
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== null) words.push(cur);
  return words;
}

/**
 * The commands in `text`: the rest of a resume / rollback / "find out" line, a help example (up to
 * its description), or a command quoted in "…" or `…` inside a sentence.
 */
export function printedCommands(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const rest =
      /^\s*(?:To resume[^:]*|To roll back instead|To find out and finish[^:]*): (npx shopctl .*)$/.exec(line);
    if (rest) {
      found.push(rest[1]);
      continue;
    }
    const example = /^ {2}(npx shopctl .*?)(?: {2,}.*)?$/.exec(line);
    if (example) {
      found.push(example[1]);
      continue;
    }
    for (const m of line.matchAll(/(["`])(npx shopctl [^"`]*)\1/g)) found.push(m[2]);
  }
  return found;
}

async function helpTree(args: string[] = [], texts: string[] = []): Promise<CommandTree> {
  const lines: string[] = [];
  expect(await main([...args, '--help'], { out: (s) => lines.push(s), err: (s) => lines.push(s) })).toBe(0);
  texts.push(lines.join('\n'));
  const help = parseHelp(lines.join('\n'));
  const commands = new Map<string, CommandTree>();
  for (const c of help.commands) commands.set(c, await helpTree([...args, c], texts));
  return { options: help.options, commands, valued: help.valued };
}

const noCreds = () =>
  Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });

let offline: World | undefined;
/** Runs `argv` as printed, without credentials: any usage error is commander's or shopctl's own. */
async function runAsPrinted(argv: string[]): Promise<{ code: number; err: string }> {
  if (!offline) {
    offline = new World();
    for (const r of [PRIMARY, STANDBY, EDGE]) for (const s of SERVICES) offline.m(r)[s].rejects(noCreds());
  }
  offline.stderr.length = 0;
  const code = await offline.run(...argv);
  return { code, err: offline.err };
}

/** Outputs of runs that print commands: partial failover, failback and notice, warnings, late writes. */
async function outputs(): Promise<string[]> {
  const texts: string[] = [];
  const partialFailover = new World();
  partialFailover.m(STANDBY).rds.on(SwitchoverGlobalClusterCommand).rejects(throttle());
  expect(await partialFailover.run('--profile', 'oncall', 'failover', '--to', STANDBY, '--yes')).toBe(4);
  texts.push(partialFailover.err);

  const partialFailback = new World();
  partialFailback.state.writer = STANDBY;
  partialFailback.state.drained = { [PRIMARY]: { [STANDBY]: true, [EDGE]: true } };
  partialFailback.state.healthz[STANDBY] = { status: 200, mode: 'read-write', db: 'writer' };
  partialFailback.m(PRIMARY).rds.on(SwitchoverGlobalClusterCommand).rejects(throttle());
  expect(await partialFailback.run('failback', '--yes')).toBe(EXIT.failed);
  texts.push(partialFailback.err);

  const notice = new World();
  notice.m(EDGE).cloudfront.on(CreateInvalidationCommand).rejects(throttle());
  const set = [
    'notice',
    'set',
    '--ko',
    "결제가 '지연'됩니다",
    '--en',
    "It's delayed; sorry",
    '--eta',
    '+30m',
  ];
  expect(await notice.run(...set, '--yes')).toBe(EXIT.partial);
  texts.push(notice.err);

  const warned = new World();
  warned.state.readiness = { [STANDBY]: { ready: 0, failed: ['warm-pool'] } };
  warned.state.heldOut = { [PRIMARY]: true };
  await warned.run('status');
  texts.push(warned.out);

  const late = new World();
  late.m(STANDBY).ssm.on(PutParameterCommand).rejects(timeout());
  late.m(EDGE).ssm.on(PutParameterCommand).rejects(timeout());
  expect(await late.run('failover', '--to', STANDBY, '--yes')).toBe(EXIT.failed);
  texts.push(late.err);
  return texts;
}

test('every command shopctl prints exists, takes the options given, and parses as printed', async () => {
  const texts: string[] = [];
  const tree = await helpTree([], texts);
  texts.push(...(await outputs()));
  const commands = [...new Set(texts.flatMap(printedCommands))];
  // what the runs above must print: a wrong extraction would check nothing
  expect(commands).toEqual(
    expect.arrayContaining([
      'npx shopctl --profile oncall failover --to ap-northeast-1 --yes',
      'npx shopctl --profile oncall failback --yes',
      'npx shopctl failover --to ap-northeast-1 --yes',
      'npx shopctl notice clear --yes',
      'npx shopctl check --target ap-northeast-1',
      'npx shopctl failback',
      'npx shopctl status',
      'npx shopctl drill web-instance-loss --dry-run',
    ]),
  );
  expect(
    commands.some((c) => c.startsWith("npx shopctl notice set --severity major --ko '결제가 '\\''지연")),
  ).toBe(true);
  expect(commands.length).toBeGreaterThan(20);

  const scripts = new Set(
    Object.keys(
      (
        JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
          scripts: object;
        }
      ).scripts,
    ),
  );
  const problems: string[] = [];
  for (const [i, c] of commands.entries()) {
    const words = shellWords(c);
    expect(words.slice(0, 2)).toEqual(['npx', 'shopctl']);
    const argv = words.slice(2);
    for (const p of unknownCommands(
      [{ file: 'printed', line: i, tool: 'shopctl', words: argv }],
      scripts,
      tree,
    ))
      problems.push(`${c}: ${p.message}`);
    const r = await runAsPrinted(argv);
    if (r.code === EXIT.usage || /^error:/m.test(r.err)) problems.push(`${c}: exit ${r.code}: ${r.err}`);
  }
  expect(problems).toEqual([]);
}, 60_000);

test('shellWords splits as a shell does, and printedCommands finds each kind of printed command', () => {
  expect(shellWords(`npx shopctl notice set --ko '가 '\\''나' --en "a \\"b\\"" x\\ y`)).toEqual([
    'npx',
    'shopctl',
    'notice',
    'set',
    '--ko',
    "가 '나",
    '--en',
    'a "b"',
    'x y',
  ]);
  expect(() => shellWords("npx shopctl notice set --ko 'x")).toThrow('unbalanced');
  expect(
    printedCommands(
      [
        'To resume (the command is idempotent): npx shopctl failover --to r --yes',
        '  npx shopctl status                          where customers are served',
        'warning: run "npx shopctl check --target r" for details; or `npx shopctl failback` now',
      ].join('\n'),
    ),
  ).toEqual([
    'npx shopctl failover --to r --yes',
    'npx shopctl status',
    'npx shopctl check --target r',
    'npx shopctl failback',
  ]);
});
