/**
 * Checks on the project's markdown: relative links (file and `#anchor`) and the commands it tells
 * readers to run. Used by test/docs.test.ts; kept apart so that the checks themselves can be tested
 * on documents that are known to be wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A problem found in a markdown file, with the line to fix. */
export interface DocProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** A markdown file's text split into lines, with lines inside fenced code blocks marked. */
interface Doc {
  readonly file: string;
  readonly lines: readonly { readonly text: string; readonly code: boolean }[];
}

function readDoc(file: string): Doc {
  let fenced = false;
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((text) => {
      if (/^\s*(```|~~~)/.test(text)) {
        fenced = !fenced;
        return { text, code: true };
      }
      return { text, code: fenced };
    });
  return { file, lines };
}

/**
 * GitHub's heading anchor: lower case, punctuation dropped (letters, digits, marks, `-`, `_` and
 * spaces kept), spaces turned into dashes; a repeated heading gets `-1`, `-2`, ...
 * (the rule of github-slugger, which GitHub's renderer uses).
 */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown file defines through its headings. */
export function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { text, code } of readDoc(file).lines) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (code || !m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Relative links of a line outside code: `[text](target)`, without images' or web addresses. */
function linksOf(text: string): string[] {
  const withoutCode = text.replace(/`[^`]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** Every relative link in `files` that names a missing file or a missing `#anchor`. */
export function brokenLinks(files: readonly string[]): DocProblem[] {
  const problems: DocProblem[] = [];
  for (const file of files) {
    readDoc(file).lines.forEach(({ text, code }, i) => {
      if (code) return;
      for (const target of linksOf(text)) {
        const [p, anchor] = target.split('#', 2);
        const resolved = p === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(p));
        const add = (message: string) => problems.push({ file, line: i + 1, message });
        if (!fs.existsSync(resolved)) {
          add(`link to ${target}: no such file ${path.relative(process.cwd(), resolved)}`);
        } else if (anchor !== undefined) {
          if (!resolved.endsWith('.md')) add(`link to ${target}: an anchor into a file that is not markdown`);
          else if (!anchorsOf(resolved).has(anchor))
            add(`link to ${target}: no heading in ${path.basename(resolved)} has the anchor #${anchor}`);
        }
      }
    });
  }
  return problems;
}

/** A command the docs tell the reader to run, with where it was written. */
export interface NamedCommand {
  readonly file: string;
  readonly line: number;
  /** `shopctl` or `npm run`. */
  readonly tool: 'shopctl' | 'npm run';
  /** For shopctl: the words after `shopctl` up to the end of the command; for npm run: the script. */
  readonly words: readonly string[];
}

/**
 * The `npx shopctl …` / `shopctl …` and `npm run …` commands `files` name, in inline code or code
 * blocks (prose mentioning "shopctl" without code is not a command).
 */
export function commandsNamed(files: readonly string[]): NamedCommand[] {
  const found: NamedCommand[] = [];
  for (const file of files) {
    readDoc(file).lines.forEach(({ text, code }, i) => {
      const spans = code ? [text.replace(/#.*$/, '')] : [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      for (const span of spans) {
        for (const m of span.matchAll(/(?:^|[\s;&|(])(?:npx\s+)?shopctl((?:\s+[^\s;&|)]+)*)/g)) {
          found.push({ file, line: i + 1, tool: 'shopctl', words: m[1].trim().split(/\s+/).filter(Boolean) });
        }
        for (const m of span.matchAll(/\bnpm run ([A-Za-z0-9:_-]+)/g)) {
          found.push({ file, line: i + 1, tool: 'npm run', words: [m[1]] });
        }
      }
    });
  }
  return found;
}

/** What a command-line program accepts: its options and its subcommands, each with the same. */
export interface CommandTree {
  readonly options: ReadonlySet<string>;
  readonly commands: ReadonlyMap<string, CommandTree>;
  /** Options that take a value (`--to <region>`): the next word is their value, not a command. */
  readonly valued?: ReadonlySet<string>;
}

/**
 * Problems with the commands named: an npm script missing from `scripts`, a shopctl command or
 * subcommand missing from `tree`, an option the command does not take.
 */
export function unknownCommands(
  named: readonly NamedCommand[],
  scripts: ReadonlySet<string>,
  tree: CommandTree,
): DocProblem[] {
  const problems: DocProblem[] = [];
  for (const c of named) {
    const add = (message: string) => problems.push({ file: c.file, line: c.line, message });
    if (c.tool === 'npm run') {
      if (!scripts.has(c.words[0])) add(`npm run ${c.words[0]}: no such script in package.json`);
      continue;
    }
    let node = tree;
    const options = new Set(tree.options);
    const valued = new Set(tree.valued ?? []);
    let path = 'shopctl';
    let positional = false;
    let skipValue = false;
    for (const w of c.words) {
      if (skipValue) {
        skipValue = false;
        continue;
      }
      if (w.startsWith('-')) {
        const flag = w.replace(/^\[/, '').split(/[=|\]]/)[0];
        if (/^--?[a-z]/.test(flag) && !options.has(flag)) add(`${path} ${flag}: no such option`);
        skipValue = valued.has(flag) && !w.includes('=');
        continue;
      }
      if (positional || !/^[a-z][a-z-]*$/.test(w)) {
        positional = true;
        continue;
      }
      const sub = node.commands.get(w);
      if (sub) {
        node = sub;
        path += ` ${w}`;
        sub.options.forEach((o) => options.add(o));
        sub.valued?.forEach((o) => valued.add(o));
      } else if (node === tree || node.commands.size > 0) {
        add(`${path} ${w}: no such command`);
        break;
      } else {
        positional = true;
      }
    }
  }
  return problems;
}

/** A commander help text's options (`--dry-run`, `-c`) and command names. */
export function parseHelp(help: string): { options: Set<string>; commands: string[]; valued: Set<string> } {
  const options = new Set<string>();
  const valued = new Set<string>();
  const commands: string[] = [];
  let section = '';
  for (const line of help.split('\n')) {
    const header = /^(\w[\w ]*):$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line);
    if (!entry) continue;
    if (section === 'Options') {
      for (const o of entry[1].matchAll(/(--?[a-z][a-z-]*)/g)) options.add(o[1]);
      // `-c, --config <name>`: both spellings take the value
      if (/[<[]/.test(entry[1])) for (const o of entry[1].matchAll(/(--?[a-z][a-z-]*)/g)) valued.add(o[1]);
    } else if (section === 'Commands') {
      const name = entry[1].split(/\s/)[0];
      if (name !== 'help') commands.push(name);
    }
  }
  return { options, commands, valued };
}

/** Folders of this repository whose files the docs name in code spans (config/ holds examples such as prod.json). */
const CODE_ROOTS = ['lib', 'cli', 'lambda', 'scripts', 'test', 'bench', 'shop', 'outage-page', 'bin', 'docs'];

/**
 * Repository paths named in inline code (`lib/report/switching.ts`) that do not exist under `root`:
 * what a rename or a move leaves behind in the docs. Globs and placeholders (`test/capacity/*`,
 * `<name>`) are not checked.
 */
export function missingPaths(files: readonly string[], root: string): DocProblem[] {
  const problems: DocProblem[] = [];
  const pattern = new RegExp(`(?:^|[\\s(])((?:${CODE_ROOTS.join('|')})/[A-Za-z0-9_./-]*[A-Za-z0-9_/])`, 'g');
  for (const file of files) {
    readDoc(file).lines.forEach(({ text, code }, i) => {
      if (code) return;
      for (const span of text.matchAll(/`([^`]+)`/g)) {
        if (/[*<{$]/.test(span[1])) continue;
        for (const m of span[1].matchAll(pattern)) {
          if (!fs.existsSync(path.join(root, m[1])))
            problems.push({ file, line: i + 1, message: `names ${m[1]}, which does not exist` });
        }
      }
    });
  }
  return problems;
}
