import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * `npm test` runs `npm run lint` (oxlint and `oxfmt --check`, with `.oxlintrc.json` and
 * `.oxfmtrc.json`) and `npm run typecheck` (TypeScript 7's tsc with tsconfig.json). These tests run
 * the same binaries with the same configuration on fixtures in a scratch directory: a lint error, a
 * misformatted file and a type error each fail their check, and every rule the project enforced under
 * ESLint (`@eslint/js` recommended + typescript-eslint recommended) still fires (docs/testing.md,
 * "Static checks").
 */

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'shop-static-'));
  copyFileSync(join(ROOT, '.oxlintrc.json'), join(dir, '.oxlintrc.json'));
  copyFileSync(join(ROOT, '.oxfmtrc.json'), join(dir, '.oxfmtrc.json'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function put(file: string, content: string): void {
  mkdirSync(join(dir, dirname(file)), { recursive: true });
  writeFileSync(join(dir, file), content);
}

/** Runs a tool in the scratch directory; its exit code and everything it printed. */
function run(tool: string, args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(join(BIN, tool), args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: `${err.stdout}${err.stderr}` };
  }
}

/** Rule name -> number of findings, from oxlint's JSON output. */
function lint(file: string): Map<string, number> {
  const { out } = run('oxlint', ['-c', '.oxlintrc.json', '-f', 'json', file]);
  const found = new Map<string, number>();
  for (const d of (JSON.parse(out) as { diagnostics: { code: string }[] }).diagnostics) {
    const rule = d.code.replace(/^[\w-]+\((.+)\)$/, '$1');
    found.set(rule, (found.get(rule) ?? 0) + 1);
  }
  return found;
}

// One violation of each rule that ESLint reported on TypeScript files. Three rules of that set cannot
// be reached in a .ts file, where the parser (and tsc) reject the code first: no-octal,
// no-nonoctal-decimal-escape, no-delete-var.
const VIOLATIONS =
  String.raw`/// <reference path="./x.d.ts" />
// @ts-ignore
export const a1: any = 1;
for (let i = 0; i < 10; i--) {}
export const p = new Promise(async (r) => r(1));
export function sw(x: number) {
  switch (x) {
    case 1:
      let y = 2;
      return y;
    case 1:
      break;
    case 2:
      x++;
    case 3:
      return 0;
  }
  if (x === -0) return 1;
  if (x = 2) return 2;
  if (x === 3) return 3;
  else if (x === 3) return 4;
  if (x || true) return 5;
  while (true) {}
}
export const re = /\x1f/;
debugger;
export const e = () => {
  try {
  } catch (err) {}
};
export const rx = /[]/;
export const o = {};
const {} = o;
export class S {
  static {}
}
export function ex() {
  try {
    throw 1;
  } catch (er) {
    er = 2;
    return er;
  }
}
export const nb = !!!o;
export const big = 9007199254740993;
export const eee = /^[👍]$/;
export const hop = o.hasOwnProperty('x');
export const rs = /a   b/;
let sa = 1;
sa = sa;
export const sparse = [1, , 2];
export const um = 1
(function () {})();
export function uf() {
  try {
    return 1;
  } finally {
    return 2;
  }
}
export const uo = (o as any)?.x.y;
lbl: for (;;) {}
export class Pm {
  #unused = 1;
}
export const ub = /(a)|\1b/;
export function uc() {
  try {
    return 1;
  } catch (e) {
    throw e;
  }
}
export const esc = 'a\.b';
export function* gen() {
  return 1;
}
export const nan = 1 === NaN;
export const tof = typeof o === 'strng';
var vv = 1;
export { vv };
let pc = 1;
export { pc };
export function rest() {
  return arguments;
}
export const nums = [1, 2];
export const sp = rest.apply(undefined, nums);
export const arr = new Array(1, 2);
enum D {
  A = 1,
  B = 1,
}
export { D };
export interface Empty {}
export const ne = o!!.toString();
export interface MN {
  new (): MN;
}
export namespace NS {}
export const nn = (o as { a?: { b: 1 } })?.a!;
export const req = require('fs');
export class TA {
  m() {
    const self = this;
    return self;
  }
}
export function tc<T extends unknown>(t: T) {
  return t;
}
export interface DM {}
export class DM {}
export const fnT: Function = () => 1;
export const wt: String = 'a';
export const pac = 'a' as 'a';
declare module Foo {}
o;
const unusedV = 1;
export function ua(used: number, unusedArg: number, _ok: number) {
  return used;
}
export const cbe = a1 ?? 1 ?? 2;
export function nga() {
  undefined = 1;
}
export const ninv = new RegExp('[');
export const nshad = (NaN: number) => NaN;
export const irr = 1;` +
  '\u200b' +
  'export const irr2 = 2;\n';

const RULES_ON_TS = [
  'ban-ts-comment',
  'for-direction',
  'no-array-constructor',
  'no-async-promise-executor',
  'no-case-declarations',
  'no-compare-neg-zero',
  'no-cond-assign',
  'no-constant-binary-expression',
  'no-constant-condition',
  'no-control-regex',
  'no-debugger',
  'no-dupe-else-if',
  'no-duplicate-case',
  'no-duplicate-enum-values',
  'no-empty',
  'no-empty-character-class',
  'no-empty-object-type',
  'no-empty-pattern',
  'no-empty-static-block',
  'no-ex-assign',
  'no-explicit-any',
  'no-extra-boolean-cast',
  'no-extra-non-null-assertion',
  'no-fallthrough',
  'no-global-assign',
  'no-invalid-regexp',
  'no-irregular-whitespace',
  'no-loss-of-precision',
  'no-misleading-character-class',
  'no-misused-new',
  'no-namespace',
  'no-non-null-asserted-optional-chain',
  'no-prototype-builtins',
  'no-regex-spaces',
  'no-require-imports',
  'no-self-assign',
  'no-shadow-restricted-names',
  'no-sparse-arrays',
  'no-this-alias',
  'no-unexpected-multiline',
  'no-unnecessary-type-constraint',
  'no-unsafe-declaration-merging',
  'no-unsafe-finally',
  'no-unsafe-function-type',
  'no-unused-expressions',
  'no-unused-labels',
  'no-unused-private-class-members',
  'no-unused-vars',
  'no-useless-backreference',
  'no-useless-catch',
  'no-useless-escape',
  'no-var',
  'no-wrapper-object-types',
  'prefer-as-const',
  'prefer-const',
  'prefer-namespace-keyword',
  'prefer-rest-params',
  'prefer-spread',
  'require-yield',
  'triple-slash-reference',
  'use-isnan',
  'valid-typeof',
];

describe('lint (oxlint, .oxlintrc.json)', () => {
  test('every rule ESLint enforced on TypeScript fires, and no other', () => {
    put('lib/violations.ts', VIOLATIONS);
    expect([...lint('lib/violations.ts').keys()].sort()).toEqual(RULES_ON_TS);
  });

  test('a lint error fails the check; unused arguments named _x and clean code pass', () => {
    put(
      'lib/one.ts',
      'export function f(a: number, _b: number) {\n  return a;\n}\nlet n = 1;\nexport { n };\n',
    );
    expect(run('oxlint', ['-c', '.oxlintrc.json', 'lib/one.ts'])).toMatchObject({
      code: 1,
      out: expect.stringContaining('prefer-const'),
    });
    put('lib/clean.ts', 'export function f(a: number, _b: number) {\n  return a;\n}\n');
    expect(run('oxlint', ['-c', '.oxlintrc.json', 'lib/clean.ts']).code).toBe(0);
  });

  test('tests may use any (untyped CloudFormation JSON); lib may not', () => {
    const anyUse = 'export const t = JSON.parse("{}") as any;\n';
    put('test/any.test.ts', anyUse);
    put('lib/any.ts', anyUse);
    expect(lint('test/any.test.ts').size).toBe(0);
    expect(lint('lib/any.ts').get('no-explicit-any')).toBe(1);
  });

  test('the JavaScript launcher bin/shopctl.js is linted with Node.js globals: an undefined name fails', () => {
    put('bin/shopctl.js', "'use strict';\nprocess.exitCode = 0;\nconsole.log(undefinedName);\n");
    expect([...lint('bin/shopctl.js')]).toEqual([['no-undef', 1]]);
  });
});

describe('format (oxfmt --check, .oxfmtrc.json)', () => {
  test('a misformatted file fails the check and names the file; a formatted one passes', () => {
    put('lib/messy.ts', 'export const x = {a:1, b:"two"}\n');
    const messy = run('oxfmt', ['--check', 'lib/messy.ts']);
    expect(messy.code).toBe(1);
    expect(messy.out).toContain('lib/messy.ts');
    put('lib/tidy.ts', "export const x = { a: 1, b: 'two' };\n");
    expect(run('oxfmt', ['--check', 'lib/tidy.ts']).code).toBe(0);
  });

  test('the project style holds: single quotes, trailing commas, 110 columns', () => {
    const long = `export const names = [${Array.from({ length: 12 }, (_, i) => `"name-${i}"`).join(', ')}];\n`;
    put('lib/long.ts', long);
    run('oxfmt', ['lib/long.ts']);
    const out = readFileSync(join(dir, 'lib/long.ts'), 'utf8');
    expect(out.split('\n').every((l) => l.length <= 110)).toBe(true);
    expect(out).toContain("  'name-11',\n];");
  });
});

describe('types (tsc, TypeScript 7, tsconfig.json)', () => {
  test('a type error and an unused local fail the check with the project options; correct code passes', () => {
    put(
      'types/tsconfig.json',
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: { typeRoots: [join(ROOT, 'node_modules', '@types')] },
        include: ['*.ts'],
      }),
    );
    put('types/bad.ts', "export const n: number = 'one';\nexport function f() {\n  const unused = 1;\n}\n");
    const bad = run('tsc', ['-p', 'types', '--singleThreaded']);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('error TS2322');
    expect(bad.out).toContain('error TS6133');
    rmSync(join(dir, 'types/bad.ts'));
    put('types/good.ts', 'export const n: number = Number(process.env.N ?? 1);\n');
    expect(run('tsc', ['-p', 'types', '--singleThreaded'])).toEqual({ code: 0, out: '' });
  });
});
