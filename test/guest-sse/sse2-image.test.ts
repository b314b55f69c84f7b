// A container image whose binaries need SSE2 and MMX, run as a user runs it:
// doubles.c (gcc -m32 -msse2 -mfpmath=sse: its floating point is SSE2) and
// mmx.c (MMX intrinsics, then EMMS and the x87), both static i386 programs,
// are packed into a docker save archive for linux/386, loaded with
// `glassbox load` and run with `glassbox run`. Each must print what the same
// source built for x86_64 prints on the host CPU (the oracle: SSE2 and MMX
// do the same there).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { glassboxSync } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-sse2-home-'));
const glassbox = (args: string[]) => glassboxSync(args, { timeoutMs: 600_000, env: { ...process.env, GLASSBOX_HOME: home } });
const source = (name: string) => join(import.meta.dirname, name);

/** A docker save archive of one layer holding `files` (path in the image -> file on the host), tagged `tag`. */
function dockerSave(dir: string, files: Record<string, string>, tag: string): string {
  const root = join(dir, 'root');
  mkdirSync(root);
  for (const [path, from] of Object.entries(files)) execFileSync('install', ['-m', '755', from, join(root, path)]);
  const save = join(dir, 'save');
  mkdirSync(save);
  execFileSync('tar', ['-cf', join(save, 'layer.tar'), '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', root, '.']);
  const layer = readFileSync(join(save, 'layer.tar'));
  const config = {
    architecture: '386',
    os: 'linux',
    config: { Cmd: ['/doubles'] },
    rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layer).digest('hex')}`] },
  };
  writeFileSync(join(save, 'config.json'), JSON.stringify(config));
  writeFileSync(join(save, 'manifest.json'), JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: ['layer.tar'] }]));
  const out = join(dir, 'image.tar');
  execFileSync('tar', ['-cf', out, '-C', save, 'config.json', 'manifest.json', 'layer.tar']);
  return out;
}

describe('an image whose binaries need SSE2 and MMX', () => {
  afterAll(() => {
    glassbox(['engine', 'stop']);
  });

  it('loads and runs, printing what the host CPU prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassbox-sse2-image-'));
    const build = (name: string, flags: string[]) => {
      const out = join(dir, `${name}${flags.includes('-m32') ? '32' : '64'}`);
      execFileSync('gcc', [...flags, '-O2', '-fno-math-errno', '-o', out, source(`${name}.c`), '-lm']);
      return out;
    };
    const doubles = build('doubles', ['-m32', '-static', '-msse2', '-mfpmath=sse']);
    const mmx = build('mmx', ['-m32', '-static', '-mmmx']);
    // They really use the instructions: SSE2 scalar doubles, and MMX registers.
    expect(execFileSync('objdump', ['--disassemble=main', doubles], { encoding: 'utf8' })).toContain('mulsd');
    expect(execFileSync('objdump', ['--disassemble=main', mmx], { encoding: 'utf8' })).toMatch(/paddsw\s+%mm\d/);
    const expected = {
      doubles: execFileSync(build('doubles', []), { encoding: 'utf8' }),
      mmx: execFileSync(build('mmx', []), { encoding: 'utf8' }),
    };

    const load = glassbox(['load', '-i', dockerSave(dir, { doubles, mmx }, 'sse2-demo:1')]);
    expect(load.stderr).toBe('');
    expect(load.status).toBe(0);
    const run = glassbox(['run', '--rm', 'sse2-demo:1']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(expected.doubles);
    expect(run.status).toBe(0);
    const runMmx = glassbox(['run', '--rm', 'sse2-demo:1', '/mmx']);
    expect(runMmx.stdout).toBe(expected.mmx);
    expect(runMmx.status).toBe(0);
  }, 1_200_000);
});
