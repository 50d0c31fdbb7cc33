import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../cli/main';
import { parseConfig } from '../lib/config/load';
import {
  anchorsOf,
  brokenLinks,
  CommandTree,
  commandsNamed,
  missingPaths,
  parseHelp,
  slug,
  unknownCommands,
} from './support/doc-links';

const root = path.join(__dirname, '..');
const docs = [
  path.join(root, 'README.md'),
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(root, 'docs', f)),
];
const scripts = new Set(
  Object.keys(
    (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts,
  ),
);

/** shopctl's commands and options, read from its own `--help` (the commander program in cli/main.ts). */
async function shopctlTree(args: string[] = []): Promise<CommandTree> {
  const lines: string[] = [];
  const code = await main([...args, '--help'], { out: (s) => lines.push(s), err: (s) => lines.push(s) });
  expect(code).toBe(0);
  const help = parseHelp(lines.join('\n'));
  const commands = new Map<string, CommandTree>();
  for (const c of help.commands) commands.set(c, await shopctlTree([...args, c]));
  return { options: help.options, commands };
}

const rel = (p: { file: string; line: number; message: string }) =>
  `${path.relative(root, p.file)}:${p.line}: ${p.message}`;

describe('documentation', () => {
  test('every relative link in README.md and docs/*.md resolves, file and #anchor', () => {
    expect(brokenLinks(docs).map(rel)).toEqual([]);
  });

  test('every repository path the docs name in code exists (a moved file leaves no stale path)', () => {
    expect(missingPaths(docs, root).map(rel)).toEqual([]);
  });

  test('every npx shopctl command and npm run script the docs name exists', async () => {
    const tree = await shopctlTree();
    // the tree really is the program's: a wrong reading would make every command "unknown" or none
    expect([...tree.commands.keys()]).toEqual(
      expect.arrayContaining(['status', 'check', 'failover', 'failback', 'notice', 'drill']),
    );
    expect([...tree.commands.get('notice')!.commands.keys()]).toEqual(['set', 'clear']);
    const named = commandsNamed(docs);
    expect(named.filter((c) => c.tool === 'shopctl').length).toBeGreaterThan(20);
    expect(named.filter((c) => c.tool === 'npm run').length).toBeGreaterThan(10);
    expect(unknownCommands(named, scripts, tree).map(rel)).toEqual([]);
  });

  test("the README's minimal config, laid over the default config, is a valid config", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const block = /## Your own config[\s\S]*?```jsonc\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const own = JSON.parse(block!.replace(/\s\/\/.*$/gm, '')) as Record<string, unknown>;
    const base = JSON.parse(fs.readFileSync(path.join(root, 'config', 'default.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const c = parseConfig({
      ...base,
      ...own,
      contacts: { ...(base.contacts as object), ...(own.contacts as object) },
    });
    expect(c.domainName).toBe(own.domainName);
  });

  test("deploy.md's example error message is what the config loader prints", () => {
    const deploy = fs.readFileSync(path.join(root, 'docs', 'deploy.md'), 'utf8');
    const shown = /```\n(Invalid config "prod"[\s\S]*?)```/.exec(deploy)?.[1].trim().split('\n');
    expect(shown).toBeDefined();
    const base = JSON.parse(fs.readFileSync(path.join(root, 'config', 'default.json'), 'utf8'));
    base.regions[1].name = 'ap-northeast-9';
    base.web.minCapacity = 20;
    let message = '';
    try {
      parseConfig(base, 'prod', '"prod" (config/prod.json)');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual(shown);
  });

  test('the README puts the incident runbook before everything else', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n');
    expect(
      readme.findIndex((l) => l.includes('During an incident') && l.includes('docs/runbook.md')),
    ).toBeLessThan(5);
    expect(readme.length).toBeLessThan(150);
  });
});

describe('the documentation checks find what is wrong', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doc-links-'));
    fs.writeFileSync(
      path.join(dir, 'other.md'),
      '# Other\n\n## During an incident → runbook (shopctl)\n\n## Same\n\n## Same\n',
    );
    fs.writeFileSync(
      path.join(dir, 'doc.md'),
      [
        '# Doc',
        '[ok](other.md#during-an-incident--runbook-shopctl) [ok2](other.md#same-1) [self](#doc) [web](https://example.com/x.md)',
        '[missing file](nowhere.md) [missing anchor](other.md#nope) [self missing](#nope)',
        '```sh',
        'npx shopctl failover --to ap-northeast-1 --dry-run   # fine',
        'npx shopctl failovr --to ap-northeast-1',
        'npx shopctl notice set --ko x --en y --colour red',
        '[in code](not-a-link.md)',
        '```',
        'Run `npm run report` and `npm run reprot`, then `shopctl notice sett`.',
        'Read `lib/config/schema.ts` and `lib/config/shcema.ts`, not `test/capacity/*` or `lib/<x>.ts`.',
      ].join('\n'),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('slugs follow GitHub: punctuation dropped, spaces to dashes, repeats numbered', () => {
    expect(slug('When us-east-1 / the Route 53 API is impaired')).toBe(
      'when-us-east-1--the-route-53-api-is-impaired',
    );
    expect(slug('The local failover drill (`npm run drill:local`)')).toBe(
      'the-local-failover-drill-npm-run-drilllocal',
    );
    expect([...anchorsOf(path.join(dir, 'other.md'))]).toEqual([
      'other',
      'during-an-incident--runbook-shopctl',
      'same',
      'same-1',
    ]);
  });

  test('a missing file, a missing anchor and a missing self-anchor are reported; code and web links are not', () => {
    expect(brokenLinks([path.join(dir, 'doc.md')]).map((p) => `${p.line}: ${p.message}`)).toEqual([
      expect.stringMatching(/^3: link to nowhere\.md: no such file/),
      '3: link to other.md#nope: no heading in other.md has the anchor #nope',
      '3: link to #nope: no heading in doc.md has the anchor #nope',
    ]);
  });

  test('a path that does not exist is reported; globs and placeholders are not', () => {
    expect(missingPaths([path.join(dir, 'doc.md')], root).map((p) => `${p.line}: ${p.message}`)).toEqual([
      '11: names lib/config/shcema.ts, which does not exist',
    ]);
  });

  test('an unknown shopctl command, subcommand, option and npm script are reported', () => {
    const tree: CommandTree = {
      options: new Set(['-c', '--config', '--help']),
      commands: new Map([
        ['failover', { options: new Set(['--to', '--dry-run']), commands: new Map() }],
        [
          'notice',
          {
            options: new Set(),
            commands: new Map([['set', { options: new Set(['--ko', '--en']), commands: new Map() }]]),
          },
        ],
      ]),
    };
    const problems = unknownCommands(commandsNamed([path.join(dir, 'doc.md')]), new Set(['report']), tree);
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      '6: shopctl failovr: no such command',
      '7: shopctl notice set --colour: no such option',
      '10: npm run reprot: no such script in package.json',
      '10: shopctl notice sett: no such command',
    ]);
  });
});
