// Every shell script the host sends to the guest for containers and views,
// rendered with sample arguments (hostile ones among them: quotes, spaces,
// $(...), backquotes, newlines) and checked by the real tools: `sh -n` parses
// each, `shellcheck -s sh` finds no problem of warning level or above, and
// dash runs the exec and account-file commands with a stand-in crun to show
// that each hostile value arrives as one untouched argument. No guest.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Script } from '../../src/api/shell-script.ts';
import * as g from '../../src/containers/engine/guest-scripts.ts';
import { CGROUP_SCRIPT, PS_SCRIPT } from '../../src/inspect/kernel.ts';
import { archiveScript, changesScript, extractScript } from '../../src/containers/engine/file-scripts.ts';
import { copyLayerScript, diffScript, unpackLayerScript } from '../../src/containers/engine/layer-scripts.ts';
import { createVolumeScript, listVolumesScript, prefillVolumeScript, removeVolumeScript } from '../../src/containers/engine/volumes.ts';
import { mountScript, unmountScript } from '../../src/containers/engine/disk.ts';
import { addHostScript, attachScript, bridgeUp, detachScript, linkUpScript, vethCountersScript } from '../../src/containers/engine/network-scripts.ts';
import { stepsScript } from '../../src/containers/engine/steps.ts';

const HOSTILE = [`it's "quoted"`, 'two words', '$(touch /tmp/gb-pwned)', '`id`', 'line\nbreak', '; rm -rf /', '-n', '*', '\\', ''];
const ID = 'f'.repeat(64);
const user = { uid: 1000, gid: 1000 };

/** Every script generator, with arguments. */
const SCRIPTS: Record<string, Script> = {
  storage: g.storageScript(),
  cgroupRoot: g.cgroupRootScript(),
  steps: stepsScript([
    { name: 'clock', script: g.setClockScript(1_796_591_665_000) },
    { name: 'link', script: linkUpScript() },
  ]),
  create: g.createScript(ID, ['/var/lib/glassbox/layers/a', '/var/lib/glassbox/layers/b c']),
  restore: g.restoreScript(ID),
  accountFile: g.accountFileScript(ID, HOSTILE.join('/')),
  run: g.runScript(ID),
  runAgain: g.runScript(ID, true),
  runForeground: g.foregroundRunScript(ID),
  attachedRun: g.attachedRunScript(ID, false),
  attachedRunTty: g.attachedRunScript(ID, true),
  exec: g.execScript(ID, HOSTILE, false, user, { workdir: HOSTILE[0], env: HOSTILE.map((h) => `K=${h}`) }),
  execTty: g.execScript(ID, ['sh'], true),
  execDetached: g.execScript(ID, HOSTILE, false, undefined, { detach: true }),
  startDetached: g.startDetachedScript(ID),
  startAgain: g.startDetachedScript(ID, true),
  state: g.stateScript(ID),
  stats: g.statsScript(ID),
  top: g.topScript(ID),
  info: g.infoScript(),
  isolation: g.isolationScript(1234),
  remove: g.removeScript(ID),
  removeEnded: g.removeScript(ID, true),
  setClock: g.setClockScript(1_796_591_665_000),
  kill: g.killScript(ID, 'TERM'),
  waitExit: g.waitExitScript(ID, 10_000),
  pause: g.freezeScript(ID, true),
  resume: g.freezeScript(ID, false),
  bundleFile: g.bundleFileScript(ID, g.timesFile('stdout')),
  cpOut: archiveScript(HOSTILE[1]!, HOSTILE.join('/'), false),
  cpOutFollow: archiveScript('/r', HOSTILE[2]!, true),
  cpIn: extractScript(HOSTILE[1]!, { dest: HOSTILE.join('/'), name: HOSTILE[0]!, dir: false, contents: false }, HOSTILE[3]!, HOSTILE[4]!),
  cpInDir: extractScript('/r', { dest: '/d/', name: HOSTILE[2]!, dir: true, contents: true }, '/t.tar', '/s'),
  diff: changesScript(HOSTILE[4]!, HOSTILE[1]!),
  netAttach: attachScript(ID, HOSTILE[1]!, { network: { bridge: 'gb-br1', gateway: '172.18.0.1', prefix: 16 }, ip: '172.18.0.2', dns: '10.0.2.3', hosts: HOSTILE.join('\n') }),
  netAttachNone: attachScript(ID, '/r'),
  netAddHost: addHostScript(HOSTILE[0]!, `172.18.0.3\t${HOSTILE[2]}`),
  netDetach: detachScript(ID),
  netCounters: vethCountersScript(ID),
  netLinkUp: linkUpScript(),
  netBridge: bridgeUp({ bridge: 'gb-br1', gateway: '172.18.0.1', prefix: 16 }),
  unpackLayer: unpackLayerScript(HOSTILE.join('/'), ID, true, `/var/lib/glassbox/layers/${HOSTILE[1]}`),
  unpackPlainLayer: unpackLayerScript('/b', ID, false, '/l'),
  diffLayer: diffScript(HOSTILE[1]!, HOSTILE.join('/')),
  copyLayer: copyLayerScript(
    ['/l/a', HOSTILE.join('/')],
    [
      { source: HOSTILE.join('/'), dest: HOSTILE.join('/'), intoDir: true },
      { source: HOSTILE[0]!, dest: `/${HOSTILE[2]}`, intoDir: false },
    ],
    HOSTILE[4]!,
  ),
  volumeCreate: createVolumeScript('data', HOSTILE.join('/')),
  volumePrefill: prefillVolumeScript(HOSTILE[1]!, { name: 'data', destination: HOSTILE.join('/') }),
  volumeList: listVolumesScript(),
  volumeRemove: removeVolumeScript('data'),
  diskMountNew: mountScript('new'),
  diskMount: mountScript('ext4'),
  diskUnmount: unmountScript(),
  inspectProcesses: PS_SCRIPT,
  inspectCgroups: CGROUP_SCRIPT,
};

/**
 * shellcheck findings accepted, each for a reason: SC3028 $EPOCHREALTIME,
 * which busybox ash (the guest's sh) has though POSIX does not; SC2016 an awk
 * program in single quotes, where its $ is awk's.
 */
const ACCEPTED = ['SC3028', 'SC2016'];

describe('guest scripts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-scripts-'));
  const files = Object.entries(SCRIPTS).map(([name, s]) => {
    const file = join(dir, `${name}.sh`);
    writeFileSync(file, `${s.text}\n`);
    return file;
  });

  it('each parses (sh -n)', () => {
    // One shell for all: each file's syntax errors come out on stderr with its name.
    const r = spawnSync('sh', ['-c', 'for f; do sh -n "$f" || s=1; done; exit ${s:-0}', 'sh', ...files], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('shellcheck -s sh finds nothing of warning level or above', () => {
    const r = spawnSync('shellcheck', ['-s', 'sh', '-S', 'warning', '-e', ACCEPTED.join(','), '-f', 'gcc', ...files], { encoding: 'utf8' });
    if (r.error) throw new Error(`shellcheck could not run (scripts/setup.sh installs it): ${r.error.message}`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('a hostile value reaches the command as one argument, unexpanded', () => {
    // A stand-in crun printing its arguments one per NUL-ended record, run by dash.
    const r = spawnSync('sh', ['-c', `crun() { printf '%s\\0' "$@"; }\n${g.execScript(ID, HOSTILE, false, user, { workdir: HOSTILE[4], env: [`K=${HOSTILE[2]}`] }).text}`], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(['exec', '--user', '1000:1000', '--cwd', HOSTILE[4], '--env', `K=${HOSTILE[2]}`, ID, ...HOSTILE]);
  });
});
