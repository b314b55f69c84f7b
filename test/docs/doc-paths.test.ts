// Every file or folder of this repository that a README or doc names in
// backticks exists: a reader following the docs to the code must not find
// a path that moved or never was.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
/** Top-level folders a path in the docs starts from; build/ is made by setup and the tests, so it is left out. */
const TOP = ['asm', 'src', 'test', 'bench', 'scripts', 'guest-images', 'docs', 'examples', '.ci'];
const SKIP_DIRS = new Set(['node_modules', 'build', '.git']);

function markdownFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path));
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The repository paths in a Markdown text's code spans (not its fenced blocks, which hold commands and output). */
function namedPaths(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const found = new Set<string>();
  for (const [, span] of prose.matchAll(/`([^`\n]+)`/g)) {
    for (const word of span.split(/\s+/)) {
      const path = word.replace(/[),.;:]+$/, '').replace(/:\d+(-\d+)?$/, '');
      if (!TOP.some((t) => path.startsWith(`${t}/`))) continue;
      if (/[*<>{}$]|\.\.\./.test(path)) continue; // a pattern or a placeholder, not a path
      found.add(path);
    }
  }
  return [...found];
}

/** Whether git ignores `path`: a place the build or a tool makes (guest-images/build/), named in the docs but in no clone. */
function ignored(path: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', path], { cwd: ROOT });
    return true;
  } catch {
    return false;
  }
}

describe('paths named in the docs', () => {
  const docs = markdownFiles(ROOT);

  it('finds the docs and the paths they name', () => {
    expect(docs.map((d) => relative(ROOT, d))).toContain('README.md');
    expect(namedPaths('see `src/api/` and `asm/cpu/jit.ts:12`, not `npm test` or `src/*.ts`')).toEqual(['src/api/', 'asm/cpu/jit.ts']);
  });

  for (const doc of docs) {
    it(`every path ${relative(ROOT, doc)} names exists`, () => {
      const missing = namedPaths(readFileSync(doc, 'utf8')).filter((p) => !existsSync(join(ROOT, p)) && !ignored(p));
      expect(missing, `${relative(ROOT, doc)} names paths that do not exist`).toEqual([]);
    });
  }
});
