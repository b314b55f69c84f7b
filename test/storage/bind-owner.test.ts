// Who owns a bind mount's files, end to end: the engine started by an
// unprivileged host user (the test, as root, runs the CLI as uid 4321), a
// container's root makes a file and a directory on the bind. On the host
// they are that user's (the host's stat is the oracle); in the container
// they are root's, root can chown them to itself, and a file of the host's
// root is nobody's there, which it cannot take (storage/ninep/owner.ts).

import { spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshotCacheDir } from '../../src/api/snapshot-cache.ts';
import { NOBODY } from '../../src/storage/ninep/owner.ts';
import { GLASSBOX_BIN } from '../support/glassbox-cli.ts';

const USER = { uid: 4321, gid: 4322 };

/** Why the CLI cannot run here as USER, or undefined when it can (root, and a checkout others may read: not one under a private home). */
function whyNotAsUser(): string | undefined {
  if (process.geteuid?.() !== 0) return 'needs root to run the engine as another user';
  const r = spawnSync(process.execPath, [GLASSBOX_BIN, '--help'], { encoding: 'utf8', timeout: 60_000, uid: USER.uid, gid: USER.gid });
  if (r.status === 0) return undefined;
  const lines = (r.error?.message ?? r.stderr).split('\n');
  return `uid ${USER.uid} cannot run this checkout's glassbox: ${lines.find((l) => /Error|EACCES/.test(l))?.trim() ?? `status ${r.status}`}`;
}
const notAsUser = whyNotAsUser();
const dir = mkdtempSync(join(tmpdir(), 'glassbox-bind-owner-'));
const home = join(dir, 'home');
const cache = join(dir, 'snapshots');
const host = join(dir, 'share');

/** `glassbox ARGS` as the user, with its own home and a copy of the snapshot cache (the shared one is root's). */
function glassbox(args: string[]) {
  const r = spawnSync(process.execPath, [GLASSBOX_BIN, ...args], {
    encoding: 'utf8',
    timeout: 600_000,
    uid: USER.uid,
    gid: USER.gid,
    env: { ...process.env, HOME: dir, GLASSBOX_HOME: home, GLASSBOX_SNAPSHOT_CACHE: cache },
  });
  if (r.error) throw new Error(`glassbox ${args.join(' ')} as uid ${USER.uid}: ${r.error.message}; stderr: ${(r.stderr ?? '').slice(-500)}`);
  return r;
}

afterAll(() => {
  if (!notAsUser) glassbox(['engine', 'stop']);
  rmSync(dir, { recursive: true, force: true });
});

describe('bind mount ownership', () => {
  it.skipIf(notAsUser !== undefined)(
    `the engine's user on the host is root in the container${notAsUser ? ` (skipped: ${notAsUser})` : ''}`,
    () => {
      for (const d of [home, cache, host]) {
        mkdirSync(d);
        chownSync(d, USER.uid, USER.gid);
      }
      chownSync(dir, USER.uid, USER.gid);
      for (const f of readdirSync(snapshotCacheDir())) {
        if (!f.startsWith('default-guest-') && f !== 'file-digests.json') continue;
        copyFileSync(join(snapshotCacheDir(), f), join(cache, f));
        chownSync(join(cache, f), USER.uid, USER.gid);
      }
      writeFileSync(join(host, 'roots'), 'x'); // the host's root's

      const r = glassbox([
        'run',
        '--rm',
        '-v',
        `${host}:/data`,
        'busybox',
        'sh',
        '-c',
        'touch /data/made && mkdir /data/dir && stat -c "%n %u:%g" /data/made /data/dir /data/roots && chown 0:0 /data/made && echo chowned; chown 0:0 /data/roots || echo refused',
      ]);
      // Root may chown its own files to itself; the host's root's file it may not take (as in a user namespace).
      expect(r.stdout).toBe(`/data/made 0:0\n/data/dir 0:0\n/data/roots ${NOBODY}:${NOBODY}\nchowned\nrefused\n`);
      expect(r.stderr).toMatch(/chown: \/data\/roots: Operation not permitted/);
      for (const name of ['made', 'dir']) {
        const st = lstatSync(join(host, name));
        expect([st.uid, st.gid], name).toEqual([USER.uid, USER.gid]);
      }
      expect(lstatSync(join(host, 'roots')).uid).toBe(0);
    },
    1_200_000,
  );
});
