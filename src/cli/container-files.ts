// glassbox cp | diff | rename, at top level and under `glassbox container`:
// a container's files to and from the host, the changes in its writable
// layer, and its name.

import type { Command } from 'commander';
import { lstatSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join, posix, resolve } from 'node:path';
import { glassboxHome } from '../home.ts';
import { call, reportError } from './engine-call.ts';
import { CopyError, extractToHost, hostTarget, packHostPath, sourceParts } from './host-tar.ts';

/**
 * Docker's reading of a cp argument: CONTAINER:PATH, unless the part before
 * the colon holds a "/" or the argument is absolute (a local path with a
 * colon is written ./a:b).
 */
function containerPart(arg: string): { container: string; path: string } | undefined {
  if (arg.startsWith('/')) return undefined;
  const colon = arg.indexOf(':');
  if (colon < 1 || arg.slice(0, colon).includes('/')) return undefined;
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** The name a container path's last component gives its copy (the root's contents go as "."). */
const lastName = (path: string) => posix.basename(posix.normalize(`/${path}`)) || '.';

async function copyOut(from: { container: string; path: string }, dest: string, follow: boolean): Promise<void> {
  const src = sourceParts(from.path);
  const r = await call<{ kind: 'dir' | 'file'; tar: string }>({ op: 'cp-out', container: from.container, path: src.path, follow: follow || src.trailingSlash });
  if (!r) return;
  const tar = Buffer.from(r.tar, 'base64');
  if (dest === '-') return void process.stdout.write(tar);
  const name = lastName(src.path);
  await extractToHost(tar, hostTarget(dest, name, r.kind === 'dir', src.contents || name === '.'));
}

async function copyIn(source: string, to: { container: string; path: string }, follow: boolean): Promise<void> {
  const dest = to.path || '/';
  let tar: Uint8Array;
  let target: { dest: string; name: string; dir: boolean; contents: boolean };
  if (source === '-') {
    // A tar on stdin is unpacked into the destination directory as it is, as Docker's.
    tar = readFileSync(0);
    target = { dest, name: '.', dir: true, contents: true };
  } else {
    const src = sourceParts(source);
    const st = follow || src.trailingSlash ? statSync(src.path) : lstatSync(src.path);
    const name = basename(resolve(src.path));
    tar = await packHostPath(src.path, name, follow || src.trailingSlash);
    target = { dest, name, dir: st.isDirectory(), contents: src.contents };
  }
  // The engine reads the archive from the home, which only this user may enter.
  const archive = join(glassboxHome(), `cp-${process.pid}-${randomBytes(6).toString('hex')}.tar`);
  writeFileSync(archive, tar, { mode: 0o600 });
  try {
    await call({ op: 'cp-in', container: to.container, archive, target });
  } finally {
    rmSync(archive, { force: true });
  }
}

export function defineFileCommands(program: Command): void {
  program
    .command('cp')
    .description(
      'copy files or directories between a container (running or stopped) and the host: CONTAINER:PATH to a host path or - (a tar on stdout), or a host path or - (a tar on stdin) to CONTAINER:PATH',
    )
    .option('-L, --follow-link', 'follow a symbolic link given as the source')
    .argument('<src>', 'CONTAINER:PATH, a host path, or -')
    .argument('<dest>', 'a host path, - , or CONTAINER:PATH')
    .action(async (src: string, dest: string, o: { followLink?: boolean }) => {
      const [from, to] = [containerPart(src), containerPart(dest)];
      if ((from === undefined) === (to === undefined)) {
        return reportError(
          from ? 'copying between containers is not supported: copy to the host, then into the other' : 'must specify at least one container source: CONTAINER:PATH',
        );
      }
      try {
        if (from) await copyOut(from, dest, o.followLink === true);
        else await copyIn(src, to!, o.followLink === true);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (!(e instanceof CopyError) && code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOTDIR' && code !== 'EEXIST') throw e;
        reportError(code === 'ENOENT' && to ? `no such file or directory: ${src}` : (e as Error).message);
      }
    });

  program
    .command('diff')
    .description("the changes in a container's writable layer: A added, C changed, D deleted")
    .argument('<container>', 'name or ID prefix')
    .action(async (container: string) => {
      const changes = await call<{ kind: string; path: string }[]>({ op: 'diff', container });
      if (changes) process.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    });

  program
    .command('rename')
    .description('give a container a new name')
    .argument('<container>', 'name or ID prefix')
    .argument('<new-name>', 'the new name')
    .action(async (container: string, name: string) => {
      await call({ op: 'rename', container, name });
    });
}
