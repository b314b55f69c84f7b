// Docker CLI idioms typed as a Docker user types them, `docker` replaced by
// `glassbox`, each line run by bash (so `$(glassbox ps -aq)` is the shell's)
// against one engine with a fresh $GLASSBOX_HOME. The expected output and
// exit status of each are what Docker's CLI reference says for it: `run`'s
// exit statuses (125 for a daemon/CLI error, 126 a command that cannot be
// invoked, 127 one not found, else the container's), `ps -q` as bare IDs,
// `--format` as Go templates over Docker's field names, `logs -f` ending
// with the container, `rm` going on past a name that does not exist.

import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userShell } from '../support/glassbox-cli.ts';

const home = mkdtempSync(join(tmpdir(), 'glassbox-idioms-home-'));

/** One line of a user's shell, `glassbox` being the bundled CLI. */
const sh = userShell(home);

/** The container's CPU time so far (cpu.stat usage_usec), as stats prints it. */
const cpuUsec = (name: string) => Number(/^cpu\.stat\.usage_usec: (\d+)$/m.exec(sh(`glassbox stats ${name}`).out)?.[1]);

describe('Docker CLI idioms against the glassbox engine', () => {
  afterAll(() => {
    sh('glassbox engine stop', 60_000);
  });

  it("run exits with Docker's statuses: the container's, 125, 126, 127", () => {
    expect(sh('glassbox run --rm busybox sh -c "exit 3"').status).toBe(3);
    const noImage = sh('glassbox run --rm nosuchimage');
    expect(noImage.status).toBe(125);
    expect(sh('glassbox run --rm busybox nosuchcommand').status).toBe(127);
    expect(sh('glassbox run --rm busybox /etc').status).toBe(126);
  }, 600_000);

  it('run --entrypoint, --read-only with --tmpfs, --cap-drop/--cap-add, --security-opt', () => {
    expect(sh('glassbox run --rm --entrypoint echo busybox hi there').out).toBe('hi there\n');
    const readOnly = sh('glassbox run --rm --read-only busybox touch /x');
    expect(readOnly.status).toBe(1);
    expect(readOnly.err).toMatch(/Read-only file system/);
    expect(sh('glassbox run --rm --read-only --tmpfs /scratch busybox sh -c "touch /scratch/x && echo written"').out).toBe('written\n');
    expect(sh('glassbox run --rm --cap-drop ALL busybox grep CapEff /proc/self/status').out).toMatch(/^CapEff:\s+0{16}\n$/);
    const chown = sh('glassbox run --rm --cap-drop CHOWN busybox chown 1 /tmp');
    expect(chown.status).toBe(1);
    expect(chown.err).toMatch(/Operation not permitted/);
    // CAP_SYS_ADMIN is bit 21: added, it is in the effective set.
    const eff = /CapEff:\s+([0-9a-f]+)/.exec(sh('glassbox run --rm --cap-add SYS_ADMIN busybox grep CapEff /proc/self/status').out)?.[1];
    expect((BigInt(`0x${eff}`) >> 21n) & 1n).toBe(1n);
    expect(sh('glassbox run --rm --cap-add NOSUCH busybox true').status).toBe(125);
    expect(sh('glassbox run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status').out).toMatch(/^NoNewPrivs:\s+1\n$/);
    expect(sh('glassbox run --rm --security-opt seccomp=unconfined busybox true').status).toBe(125);
  }, 600_000);

  it('ps -q, --no-trunc, -f, --format; inspect -f; exec -w -u -d; logs --tail; top', () => {
    const id = sh('glassbox run -d --name web --label app=web busybox sh -c "echo one; echo two; exec sleep 100000"').out.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    sh('glassbox run -d --name other busybox sleep 100000');
    expect(sh('glassbox ps -q').out.split('\n').filter(Boolean).sort()).toEqual(expect.arrayContaining([id.slice(0, 12)]));
    expect(sh('glassbox ps -q').out).toMatch(/^([0-9a-f]{12}\n){2}$/);
    expect(sh('glassbox ps -q --no-trunc -f name=web').out).toBe(`${id}\n`);
    expect(sh('glassbox ps -f label=app=web --format "{{.ID}} {{.Image}} {{.Names}}"').out).toBe(`${id.slice(0, 12)} busybox:latest web\n`);
    expect(sh('glassbox ps -f ancestor=busybox --format "{{.Names}}"').out.split('\n').filter(Boolean).sort()).toEqual(['other', 'web']);
    expect(sh('glassbox ps --filter status=exited -q').out).toBe('');
    const row = JSON.parse(sh('glassbox ps -f name=web --format "{{json .}}"').out);
    expect(row).toMatchObject({ ID: id.slice(0, 12), Names: 'web', Image: 'busybox:latest', State: 'running', Labels: 'app=web' });
    expect(sh('glassbox ps --format "table {{.Names}}\\t{{.State}}" -f name=web').out).toMatch(/^NAMES\s+STATE\nweb\s+running\n$/);
    expect(sh('glassbox container inspect -f "{{.State.Status}} {{.State.Running}} {{.Config.Labels.app}}" web').out).toBe('running true web\n');
    expect(sh('glassbox inspect -f "{{.Id}}" web').out).toBe(`${id}\n`);
    // On the default bridge network, as Docker's: inspect shows the address the container has on its eth0.
    const ip = sh('glassbox inspect -f "{{.NetworkSettings.IPAddress}}" web').out.trim();
    expect(ip).toMatch(/^172\.17\.\d+\.\d+$/);
    expect(sh('glassbox exec web ip -4 -o addr show eth0').out).toContain(`inet ${ip}/`);
    const bad = sh('glassbox inspect -f "{{range .Mounts}}{{end}}" web');
    expect(bad.status).toBe(125);
    expect(bad.err).toMatch(/"range" is not a function glassbox supports/);
    expect(sh('glassbox logs --tail 1 web').out).toBe('two\n');
    expect(sh('glassbox container logs -n 5 web').out).toBe('one\ntwo\n');
    expect(sh('glassbox exec -w /tmp web pwd').out).toBe('/tmp\n');
    expect(sh('glassbox exec -u nobody web id -u').out).toBe('65534\n');
    expect(sh('glassbox exec -d web sh -c "sleep 1; echo later > /tmp/d"').out).toBe('');
    expect(sh('for i in $(seq 30); do glassbox exec web cat /tmp/d 2>/dev/null && break; sleep 0.5; done').out).toBe('later\n');
    const top = sh('glassbox top web').out;
    expect(top).toMatch(/^UID\s+PID\s+PPID\s+CMD\n0\s+\d+\s+\d+\s+sleep 100000\n$/);
    expect(sh('glassbox container ls --format "{{.Names}}" -f name=^oth').out).toBe('other\n');
  }, 600_000);

  it('logs -f follows a live container to its end; wait prints its status', () => {
    sh('glassbox run -d --name counter busybox sh -c "for i in 1 2 3 4; do echo line \\$i; sleep 1; done; exit 7"');
    const follow = sh('glassbox logs -f counter');
    expect(follow.out).toBe('line 1\nline 2\nline 3\nline 4\n');
    expect(follow.status).toBe(0);
    expect(sh('glassbox wait counter').out).toBe('7\n');
    expect(sh('glassbox ps -a -f status=exited --format "{{.Names}} {{.Status}}"').out).toBe('counter Exited (7)\n');
  }, 600_000);

  it('restart and start keep the writable layer, the logs go on; run --stop-signal', () => {
    // Each start adds one to /n in the container's own root: a new layer would start from 0 again.
    // Its PID 1 is sleep, which ignores TERM: a stop timeout of 1 s, not 10, before the KILL (the grace time is run --init's test).
    sh('glassbox run -d --name keep --stop-timeout 1 busybox sh -c "n=\\$(( \\$(cat /n 2>/dev/null || echo 0) + 1 )); echo \\$n > /n; echo start \\$n; exec sleep 100000"');
    expect(sh('glassbox restart keep').out).toBe('keep\n');
    expect(sh('glassbox inspect -f "{{.State.Status}}" keep').out).toBe('running\n');
    const started = (n: number) => `for i in $(seq 40); do glassbox logs keep | grep -q "start ${n}" && break; sleep 0.5; done; glassbox exec keep cat /n`;
    expect(sh(started(2)).out).toBe('2\n');
    expect(sh('glassbox stop keep && glassbox start keep').out).toBe('keep\nkeep\n');
    expect(sh(started(3)).out).toBe('3\n');
    expect(sh('glassbox logs keep').out).toBe('start 1\nstart 2\nstart 3\n');
    // --stop-signal: stop sends USR1, which the container's init handles (a PID 1 without a handler would ignore it).
    sh('glassbox run -d --name trapper --stop-signal SIGUSR1 --stop-timeout 30 busybox sh -c "trap \'echo got USR1; exit 9\' USR1; echo ready; while :; do sleep 0.2; done"');
    expect(sh('for i in $(seq 40); do glassbox logs trapper | grep -q ready && break; sleep 0.5; done; glassbox stop trapper').out).toBe('trapper\n');
    expect(sh('glassbox inspect -f "{{.State.Status}} {{.State.ExitCode}}" trapper').out).toBe('exited 9\n');
    expect(sh('glassbox logs trapper').out).toBe('ready\ngot USR1\n');
    expect(sh('glassbox run -d --stop-signal NOSUCH busybox true').status).toBe(125);
  }, 600_000);

  it('pause freezes a busy loop (its CPU time stands still in stats), unpause lets it run on', async () => {
    sh('glassbox run -d --name busy busybox sh -c "while :; do :; done"');
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const running0 = cpuUsec('busy');
    await sleep(1500);
    expect(cpuUsec('busy')).toBeGreaterThan(running0);
    expect(sh('glassbox stats --no-stream --format "{{.Name}} {{.ID}} {{.MemUsage}} {{.PIDs}}" busy').out).toMatch(/^busy [0-9a-f]{12} \d+\.\d\dMiB \/ max 1\n$/);
    expect(sh('glassbox pause busy').out).toBe('busy\n');
    expect(sh('glassbox inspect -f "{{.State.Status}} {{.State.Paused}}" busy').out).toBe('paused true\n');
    expect(sh('glassbox ps -q -f status=paused').out).toMatch(/^[0-9a-f]{12}\n$/);
    const frozen0 = cpuUsec('busy');
    await sleep(1500);
    expect(cpuUsec('busy')).toBe(frozen0);
    expect(sh('glassbox pause busy').status).toBe(125);
    expect(sh('glassbox unpause busy').status).toBe(0);
    await sleep(1500);
    expect(cpuUsec('busy')).toBeGreaterThan(frozen0);
    // Spinning on, it would take the guest's CPU from every test after this one.
    expect(sh('glassbox rm -f busy').status).toBe(0);
  }, 600_000);

  it('container prune removes stopped containers, rm -f $(glassbox ps -aq) all the others; a missing name is Docker\'s "No such container"', () => {
    sh('glassbox run --name done busybox true');
    // As Docker's, prune asks first; "n" (or no answer) keeps everything.
    expect(sh('echo n | glassbox container prune').out).toBe('');
    expect(sh('glassbox ps -a --format "{{.Names}}"').out).toMatch(/^done$/m);
    // Stopped by now: counter, trapper and done.
    const prune = sh('glassbox container prune -f');
    expect(prune.out).toMatch(/^Deleted Containers:\n([0-9a-f]{64}\n){3}$/);
    expect(sh('glassbox ps -a --format "{{.Names}}"').out).not.toMatch(/^(done|counter|trapper)$/m);
    const ids = sh('glassbox ps -aq').out.split('\n').filter(Boolean);
    expect(ids.length).toBe(3);
    const rm = sh('glassbox rm -f $(glassbox ps -aq)');
    expect(rm.status).toBe(0);
    expect(rm.out.split('\n').filter(Boolean)).toEqual(ids);
    expect(sh('glassbox ps -aq').out).toBe('');
    const missing = sh('glassbox rm nosuch');
    expect(missing.err).toBe('Error: No such container: nosuch\n');
    expect(missing.status).not.toBe(0);
  }, 600_000);

  it("cp a tree out and back with its bytes and modes; diff lists the writable layer as the guest's overlay holds it; rename", () => {
    const work = mkdtempSync(join(tmpdir(), 'glassbox-cp-'));
    sh(
      'glassbox run -d --name files busybox sh -c "mkdir -p /data/sub && printf hello > /data/sub/a && chmod 751 /data/sub && chmod 640 /data/sub/a && rm /bin/vi && touch /etc/passwd && exec sleep 100000"',
    );
    expect(sh('for i in $(seq 40); do glassbox exec files test -e /data/sub/a && break; sleep 0.5; done; echo ok').out).toBe('ok\n');
    // Out: the guest's bytes and modes, as the container's own stat and sha256sum tell them.
    expect(sh(`glassbox cp files:/data ${work}/out`).status).toBe(0);
    expect(readFileSync(join(work, 'out/sub/a'), 'utf8')).toBe('hello');
    expect((statSync(join(work, 'out/sub')).mode & 0o777).toString(8)).toBe(sh('glassbox exec files stat -c %a /data/sub').out.trim());
    expect((statSync(join(work, 'out/sub/a')).mode & 0o777).toString(8)).toBe(sh('glassbox exec files stat -c %a /data/sub/a').out.trim());
    // Back in under another name, into an existing directory; a file over a file; the host's bytes as the guest reads them.
    writeFileSync(join(work, 'bin.dat'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)));
    chmodSync(join(work, 'bin.dat'), 0o754);
    expect(sh(`glassbox cp ${work}/out files:/back && glassbox cp ${work}/bin.dat files:/tmp/`).status).toBe(0);
    expect(sh('glassbox exec files cat /back/sub/a').out).toBe('hello');
    expect(sh('glassbox exec files stat -c "%a %u:%g" /tmp/bin.dat /back/sub').out).toBe('754 0:0\n751 0:0\n');
    expect(sh('glassbox exec files sha256sum /tmp/bin.dat').out.split(' ')[0]).toBe(
      createHash('sha256')
        .update(readFileSync(join(work, 'bin.dat')))
        .digest('hex'),
    );
    expect(sh('glassbox cp files:/nosuch /tmp/x').status).toBe(125);
    // diff against what the guest's overlay holds: every path is in the upper dir, D for its whiteouts.
    const diff = sh('glassbox diff files').out;
    for (const line of ['C /bin', 'D /bin/vi', 'C /etc', 'C /etc/passwd', 'A /data', 'A /data/sub', 'A /data/sub/a', 'A /back', 'A /tmp/bin.dat'])
      expect(diff.split('\n')).toContain(line);
    expect(diff.split('\n').filter(Boolean)).toEqual([...diff.split('\n').filter(Boolean)].sort((a, b) => (a.slice(2) < b.slice(2) ? -1 : 1)));
    expect(sh('glassbox rename files renamed && glassbox inspect -f "{{.Name}}" renamed').out).toBe('/renamed\n');
    expect(sh('glassbox rm -f renamed').status).toBe(0);
  }, 600_000);

  it("exec -e on top of the container's environment; run --ulimit; flag errors exit 125, missing arguments 1", () => {
    sh('glassbox run -d --name envy -e A=1 -e KEEP=yes busybox sleep 100000');
    const env = sh('glassbox exec -e A=2 -e B=3 envy env').out.split('\n');
    expect(env).toEqual(expect.arrayContaining(['A=2', 'B=3', 'KEEP=yes', 'HOME=/root']));
    expect(env.find((e) => e.startsWith('PATH='))).toBeDefined();
    // -e NAME passes this shell's value, as Docker's.
    expect(sh("FROMHOST=passed glassbox exec -e FROMHOST envy sh -c 'echo $FROMHOST'").out).toBe('passed\n');
    expect(sh("glassbox exec envy sh -c 'echo ${B:-unset} $A'").out).toBe('unset 1\n');
    expect(sh('glassbox run --rm --ulimit nofile=100:200 busybox sh -c "ulimit -n; ulimit -Hn"').out).toBe('100\n200\n');
    expect(sh('glassbox run --rm --ulimit nproc=7 busybox sh -c "ulimit -u; ulimit -Hu"').out).toBe('7\n7\n');
    const inverted = sh('glassbox run --rm --ulimit nofile=300:200 busybox true');
    expect(inverted.status).toBe(125);
    expect(inverted.err).toMatch(/soft limit is above the hard one/);
    expect(sh('glassbox run --rm --ulimit nosuch=1 busybox true').status).toBe(125);
    expect(sh('glassbox ps --no-such-flag').status).toBe(125);
    expect(sh('glassbox rm').status).toBe(1);
    sh('glassbox rm -f envy');
  }, 600_000);

  it("run --init: PID 1 passes stop's TERM on and reaps orphans; without it the command ignores TERM and zombies stay", () => {
    sh('glassbox run -d --init --name withinit busybox sh -c "(sleep 0.3 &); exec sleep 100000"');
    sh('glassbox run -d --name noinit busybox sh -c "(sleep 0.3 &); exec sleep 100000"');
    expect(sh('glassbox exec withinit cat /proc/1/cmdline').out.split('\0')[0]).toBe('/dev/init/sh');
    const states = (name: string) => sh(`sleep 3; glassbox exec ${name} ps -o stat,args`).out;
    // The orphaned sleep ended: reaped by the init, a zombie under a PID 1 that is the command itself.
    expect(states('withinit')).not.toMatch(/^Z/m);
    expect(states('noinit')).toMatch(/^Z/m);
    sh('glassbox stop -t 5 withinit noinit');
    // 143 = 128 + SIGTERM: the command got stop's TERM; 137 = 128 + SIGKILL after the grace time.
    expect(sh('glassbox container inspect -f "{{.State.ExitCode}} {{.HostConfig.Init}}" withinit noinit').out).toBe('143 true\n137 false\n');
    // The init's mounts are in /dev, not in the writable layer.
    expect(sh('glassbox diff withinit').out).not.toMatch(/init/);
    sh('glassbox rm withinit noinit');
  }, 600_000);

  it('run --restart: on-failure:N restarts a failing container N times, always until a user stops it; --rm conflicts', () => {
    sh('glassbox run -d --name flaky --restart on-failure:2 busybox sh -c "echo try; exit 3"');
    sh('glassbox run -d --name fine --restart on-failure busybox sh -c "echo once; exit 0"');
    sh('glassbox run -d --name forever --restart always busybox sh -c "echo up; sleep 1"');
    // Polled every 2 s: each glassbox command costs seconds on a loaded host.
    const until = (name: string, format: string, want: string) =>
      sh(
        `for i in $(seq 150); do [ "$(glassbox container inspect -f '${format}' ${name})" = "${want}" ] && break; sleep 2; done; glassbox container inspect -f '${format}' ${name}`,
      ).out;
    expect(until('flaky', '{{.RestartCount}} {{.State.Status}}', '2 exited')).toBe('2 exited\n');
    expect(sh('glassbox container inspect -f "{{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}" flaky').out).toBe(
      '3 on-failure:2\n',
    );
    expect(sh('glassbox logs flaky').out).toBe('try\ntry\ntry\n');
    expect(sh('glassbox container inspect -f "{{.RestartCount}} {{.State.Status}}" fine').out).toBe('0 exited\n');
    const restarts = sh('for i in $(seq 150); do n=$(glassbox container inspect -f "{{.RestartCount}}" forever); [ "$n" -ge 2 ] && break; sleep 2; done; echo $n').out;
    expect(Number(restarts)).toBeGreaterThanOrEqual(2);
    sh('glassbox stop forever');
    const after = sh('glassbox container inspect -f "{{.RestartCount}}" forever').out;
    expect(sh('sleep 5; glassbox container inspect -f "{{.RestartCount}} {{.State.Status}}" forever').out).toBe(`${after.trim()} exited\n`);
    const conflict = sh('glassbox run --rm --restart always busybox true');
    expect(conflict.status).toBe(125);
    expect(conflict.err).toMatch(/conflicting options: --restart and --rm/);
    sh('glassbox rm flaky fine forever');
  }, 900_000);

  it('stats lists every running container; image history; image prune -a keeps the images containers use', () => {
    sh('glassbox run -d --name s1 busybox sleep 100000');
    sh('glassbox run -d --name s2 busybox sleep 100000');
    const stats = sh('glassbox stats --no-stream --format "{{.Name}} {{.PIDs}}"').out.split('\n').filter(Boolean).sort();
    expect(stats).toEqual(expect.arrayContaining(['s1 1', 's2 1']));
    expect(sh('glassbox stats --no-stream').out).toMatch(/^CONTAINER\s+NAME\s+MEM USAGE \/ LIMIT\s+PIDS\n/);
    // The layer's size unpacked is what gzip says of its blob.
    const layer = JSON.parse(sh('glassbox image inspect -f "{{json .RootFS.Layers}}" busybox').out) as string[];
    expect(layer.length).toBe(1);
    const history = sh('glassbox image history --format "{{.ID}}|{{.Size}}" busybox').out.split('\n').filter(Boolean);
    expect(history[0]).toMatch(/^[0-9a-f]{12}\|/);
    const blob = JSON.parse(sh('glassbox save busybox -o /dev/stdout | tar -xO index.json').out).manifests[0].digest as string;
    const manifest = JSON.parse(sh(`glassbox save busybox -o /dev/stdout | tar -xO blobs/sha256/${blob.slice(7)}`).out);
    const unpacked = Number(sh(`glassbox save busybox -o /dev/stdout | tar -xO blobs/sha256/${manifest.layers[0].digest.slice(7)} | gzip -dc | wc -c`).out);
    const sizes = history.map((h) => h.split('|')[1]);
    expect(sizes).toContain(unpacked >= 1e6 ? `${(unpacked / 1e6).toFixed(2)}MB` : `${(unpacked / 1e3).toFixed(1)}kB`);
    const work = mkdtempSync(join(tmpdir(), 'glassbox-idioms-prune-'));
    writeFileSync(join(work, 'Dockerfile'), 'FROM busybox\nRUN echo extra > /extra\n');
    expect(sh(`glassbox build -t extra:1 ${work}`).status).toBe(0);
    expect(sh('glassbox images --format "{{.Repository}}"').out.split('\n').filter(Boolean).sort()).toEqual(['busybox', 'extra']);
    // Without -f it asks; no answer is no.
    expect(sh('glassbox image prune -a </dev/null').out).toBe('');
    const pruned = sh('glassbox image prune -a -f');
    expect(pruned.out).toMatch(/^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: /);
    expect(sh('glassbox images --format "{{.Repository}}"').out).toBe('busybox\n');
    // system prune: the stopped container goes, the running ones and the image they use stay.
    const gone = sh('glassbox run -d --name gone busybox true').out.trim();
    sh('glassbox wait gone');
    expect(sh('glassbox system prune -f').out).toMatch(new RegExp(`^Deleted Containers:\n${gone}\n\nTotal reclaimed space: `));
    expect(sh('glassbox ps -a --format "{{.Names}}"').out.split('\n').filter(Boolean).sort()).toEqual(['s1', 's2']);
    expect(sh('glassbox images --format "{{.Repository}}"').out).toBe('busybox\n');
    sh('glassbox rm -f s1 s2');
  }, 900_000);

  it('images -q and --format, image ls, version and info', () => {
    expect(sh('glassbox images -q').out).toMatch(/^[0-9a-f]{12}\n$/);
    expect(sh('glassbox image ls --format "{{.Repository}}:{{.Tag}}"').out).toBe('busybox:latest\n');
    expect(sh('glassbox image inspect -f "{{json .Config.Cmd}} {{.RepoTags}}" busybox').out).toBe('["sh"] [busybox:latest]\n');
    expect(sh('glassbox version --format "{{.Client.Version}}"').out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(sh('glassbox info --format "{{.CgroupVersion}} {{.DefaultRuntime}} {{.Driver}}"').out).toBe('2 crun overlay\n');
    const info = sh('glassbox info').out;
    expect(info).toMatch(/^ Kernel Version: \d+\.\d+/m);
    expect(info).toMatch(/^ CPU model \(CPUID of the emulated core\): \S/m);
    expect(info).toMatch(/^ Default Runtime: crun \(crun version \d/m);
  }, 600_000);
});
