/**
 * The layout of cli/: a folder per capability, the AWS plumbing in cli/aws, and no import cycle among
 * cli/ files (type-only imports included: a cycle of types still means two files need each other, and
 * the shared part belongs in a third file). A small reader of import specifiers, so no extra tool is
 * needed; `npx madge --circular --extensions ts cli` gives the same answer for cli/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'cli');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Files under `root` that `file` imports (relative specifiers). */
function importsOf(file: string, root: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs
    .map((s) => path.resolve(path.dirname(file), s))
    .flatMap((p) => [p + '.ts', path.join(p, 'index.ts')].filter((c) => fs.existsSync(c)).slice(0, 1))
    .filter((p) => p.startsWith(root + path.sep));
}

/** Every cycle found by a depth-first walk, each as the list of files (relative to `root`). */
function cycles(root: string): string[][] {
  const files = tsFiles(root);
  const graph = new Map(files.map((f) => [f, importsOf(f, root)]));
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'closed'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open')
        found.push(stack.slice(stack.indexOf(g)).map((x) => path.relative(root, x)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'closed');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

describe('cli/ layout', () => {
  test('no import cycle among cli/ files', () => {
    expect(cycles(CLI)).toEqual([]);
  });

  test('the cycle finder finds a cycle (so the test above can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopctl-cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a';\nexport type B = A | 1;\n");
      expect(cycles(dir)).toEqual([['a.ts', 'b.ts']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no flat core/ or commands/ folder: each capability has its folder, the plumbing is in aws/', () => {
    const folders = fs
      .readdirSync(CLI, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders).not.toContain('core');
    expect(folders).not.toContain('commands');
    for (const capability of [
      'aws',
      'failover',
      'failback',
      'notice',
      'drill',
      'readiness',
      'capacity',
      'status',
    ])
      expect(folders).toContain(capability);
    for (const plumbing of ['clients', 'deadline', 'errors', 'audit', 'identity'])
      expect(fs.existsSync(path.join(CLI, 'aws', `${plumbing}.ts`))).toBe(true);
  });
});
