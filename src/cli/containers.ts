// glassbox run | ps | exec | logs | stats | stop | kill | rm, the same under
// `glassbox container` with inspect added, glassbox build, and
// glassbox engine status | stop: thin clients of the engine process.

import { Command, InvalidArgumentError, type CommanderError } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { confirm } from './confirm.ts';
import { glassboxHome } from '../home.ts';
import { engineRunning } from '../daemon/client.ts';
import { buildId } from '../daemon/build-id.ts';
import { dockerfileImages, pullMissing } from './registry.ts';
import { serveEngine } from '../daemon/server.ts';
import type { EngineRequest, RunRequestOptions } from '../daemon/protocol.ts';
import type { ContainerLogs, RunResult } from '../containers/engine/containers.ts';
import { dockerTime, logLines, printable, stampedFrom, withLastStamp } from './log-times.ts';
import type { ShellResult } from '../containers/engine/guest-shell.ts';
import { printFormatted } from './go-template.ts';
import { call, reportError } from './engine-call.ts';
import { defineFileCommands } from './container-files.ts';
import { removeStoppedContainers } from './stopped-containers.ts';
import { table } from './table.ts';
import { DEFAULT_PS_FORMAT, filterPredicate, inspectView, PS_HEADERS, psRow, type Inspected, type Listed } from './docker-views.ts';
import { attach, checkTerminal, windowSize } from './attach.ts';
import { collectPublish, defineNetworkCommands } from './network.ts';
import { collectVolume, defineVolumeCommands, parseDeviceRate, splitVolumes } from './storage.ts';
import type { VolumeMount } from '../containers/engine/volumes.ts';
import type { BindMount } from '../containers/engine/binds.ts';
import type { PortMapping } from '../containers/engine/networks.ts';
import { parseRestartPolicy, parseUlimit, type RestartPolicy, type Ulimit } from '../containers/engine/bundle.ts';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

function bytesOption(v: string): number {
  const m = /^(\d+)([bkmg]?)$/i.exec(v);
  if (!m) throw new InvalidArgumentError('give a size such as 8m, 512k or 1g');
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number of 1 or more');
  return n;
}

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('give a whole number of 0 or more');
  return n;
}

function cpusOption(v: string): number {
  const n = Number(v);
  if (!(n >= 0.01 && n <= 64)) throw new InvalidArgumentError('give a number of CPUs from 0.01 to 64, e.g. 0.5');
  return n;
}

function networkOption(v: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(v)) throw new InvalidArgumentError("use bridge (the default), host (the guest's network), none (only lo) or a network's name");
  return v;
}

const STATS_HEADERS: Record<string, string> = { '.Name': 'NAME', '.ID': 'CONTAINER', '.MemUsage': 'MEM USAGE / LIMIT', '.PIDs': 'PIDS' };

/** A row of stats: Docker's fields from the container's cgroup files, and the files themselves under .Cgroup. */
function statsRow(c: Inspected) {
  const r = c.limits;
  const mib = (v: string | undefined) => (v === undefined || v === 'max' ? (v ?? '') : `${(Number(v) / 2 ** 20).toFixed(2)}MiB`);
  return { Name: c.name, ID: c.id.slice(0, 12), MemUsage: `${mib(r['memory.current'])} / ${mib(r['memory.max'])}`, PIDs: r['pids.current'] ?? '', Cgroup: r };
}

/** How often logs -f asks the engine for new output. */
const FOLLOW_POLL_MS = 250;
/** How many polls may see an ended container's status not yet recorded: a run whose record never comes (its guest script was killed) counts as ended after them. */
const RECORD_ROUNDS = 40;

/**
 * A watch over one container's polls, answering whether it has exited with
 * its status recorded: crun reports it stopped as soon as its process exits,
 * while its log writers are still draining, and the exit status is recorded
 * only after they are done. Until then (for up to RECORD_ROUNDS polls that
 * see it so) it is not over: its logs may lack their last lines, and its
 * status is not known.
 */
function exitWatch(): (c: Inspected) => boolean {
  let unrecorded = 0;
  return ({ state: s }) => s.status === 'exited' && (s.lost === true || s.exitCode !== undefined || ++unrecorded > RECORD_ROUNDS);
}

/** A watch whether a followed container has ended with its output all in the logs (one never started ends a follow too). */
function followWatch(): (c: Inspected) => boolean {
  const exited = exitWatch();
  return (c) => c.state.status === 'created' || exited(c);
}

/** The last `n` lines of `text` (a last line without its newline counts). */
function lastLines(text: string, n: number): string {
  const lines = text.split(/(?<=\n)/);
  return n === 0 ? '' : lines.slice(-n).join('');
}

interface LogsFlags {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
}

/**
 * logs with -t, --since or --until: line by line with each line's guest
 * time. Following prints each round the stamped lines not yet printed; a
 * line whose stamp has not arrived waits for the next round, or for the
 * container's end, after which every line is printed (a line left unstamped
 * by an engine that ended takes the time of the line before). --until in the
 * past ends the following, as Docker's.
 */
async function timedLogs(container: string, o: LogsFlags, window: { since?: bigint; until?: bigint }): Promise<void> {
  const print = { timestamps: o.timestamps, ...window };
  const done = { stdout: 0, stderr: 0 };
  const followEnded = followWatch();
  for (let first = true; ; first = false) {
    const state = o.follow ? await call<Inspected>({ op: 'inspect', container }) : undefined;
    if (o.follow && !state) return;
    const ended = !o.follow || followEnded(state!);
    const r = await call<ContainerLogs>({ op: 'logs', container, times: true });
    if (!r?.times) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      const all = logLines(r[stream], r.times[stream]);
      if (first && o.tail !== 'all') done[stream] = Math.max(0, all.length - Number(o.tail));
      const lines = ended ? withLastStamp(all).slice(done[stream]) : stampedFrom(all, done[stream]);
      done[stream] += lines.length;
      process[stream].write(printable(lines, print));
    }
    if (ended || (window.until !== undefined && BigInt(Date.now()) * 1_000_000n > window.until)) return;
    await new Promise((res) => setTimeout(res, FOLLOW_POLL_MS));
  }
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** -e KEY=VALUE, or -e KEY for this shell's value of KEY (left out when it has none), as Docker's. */
const collectEnv = (v: string, prev: string[]) => (v.includes('=') ? [...prev, v] : process.env[v] === undefined ? prev : [...prev, `${v}=${process.env[v]}`]);

/** A request per container, each name printed when it succeeded; a failure is reported and the rest go on, as Docker's rm, stop, kill. */
async function forEach(containers: string[], req: (container: string) => EngineRequest): Promise<void> {
  for (const container of containers) if ((await call(req(container))) !== undefined) process.stdout.write(container + '\n');
}

function printResult(r: ShellResult): void {
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.exitCode;
}

interface RunFlags {
  detach?: boolean;
  name?: string;
  hostname?: string;
  env: string[];
  workdir?: string;
  memory?: number;
  pidsLimit?: number;
  cpus?: number;
  network?: string;
  publish: PortMapping[];
  publishAll?: boolean;
  user?: string;
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  label: string[];
  stopSignal?: string;
  stopTimeout?: number;
  entrypoint?: string;
  readOnly?: boolean;
  tmpfs: string[];
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  ulimit: Ulimit[];
  init?: boolean;
  restart?: RestartPolicy;
  volume: (VolumeMount | BindMount)[];
  deviceReadBps?: number;
  deviceWriteBps?: number;
}

/** A parser of bundle.ts whose error commander reports as the option's. */
function cliParse<T>(parse: (v: string) => T, v: string): T {
  try {
    return parse(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** --label KEY=VALUE (or KEY, an empty value, as Docker) as a map. */
function labels(list: string[]): Record<string, string> | undefined {
  if (!list.length) return undefined;
  return Object.fromEntries(list.map((l) => (l.includes('=') ? [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] : [l, ''])));
}

/** An attached run or exec (-i streams stdin, -t gives a terminal): its exit status, or 125 with the reason when it cannot start. */
async function attached(req: EngineRequest, o: { interactive?: boolean; tty?: boolean }): Promise<void> {
  try {
    checkTerminal(o);
    process.exitCode = await attach(req, o);
  } catch (e) {
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 125;
  }
}

/**
 * The container commands on `program`. At top level, `inspect` is the machine
 * inspector, so the container's inspect lives under `glassbox container` only.
 */
function defineContainerCommands(program: Command, topLevel: boolean): void {
  program
    .command('run')
    .description('run a command in a new container in the guest (the engine starts on first use)')
    .argument('<image>', 'NAME[:TAG] or image ID')
    .argument('[command...]', "command and arguments, replacing the image's Cmd")
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--name <name>', 'name the container')
    .option('--hostname <name>', "the container's hostname")
    .option('-e, --env <KEY=VALUE>', "set an environment variable, or pass this shell's with -e KEY (repeatable)", collectEnv, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('--memory <size>', 'memory limit, e.g. 8m', bytesOption)
    .option('--pids-limit <n>', 'most processes at once', positiveInt)
    .option('--cpus <n>', 'CPU share, e.g. 0.5', cpusOption)
    .option('--network <network>', "bridge (default): own namespace on the bridge; host: the guest's; none: only lo; or a network's name", networkOption)
    .option(
      '-p, --publish <[ip:]hostport:port[/udp]>',
      'listen on the host (127.0.0.1 unless an address is given) and forward to the container port, TCP or UDP (repeatable)',
      collectPublish,
      [],
    )
    .option('-P, --publish-all', 'publish every TCP port the image exposes on a free port of 127.0.0.1')
    .option('-u, --user <user>', "name, name:group, uid or uid:gid (names from the container's /etc/passwd and /etc/group)")
    .option('--rm', 'remove the container when it exits')
    .option('-l, --label <KEY=VALUE>', 'a label, for ps --filter label=KEY and inspect (repeatable)', collect, [])
    .option('--entrypoint <command>', "replace the image's Entrypoint (its Cmd is dropped unless a command is given)")
    .option('--read-only', "mount the container's root filesystem read-only")
    .option('--tmpfs <path>', 'mount an empty tmpfs at PATH (repeatable)', collect, [])
    .option(
      '-v, --volume <NAME|/host/dir:/path[:ro]>',
      'mount a named volume (made if missing) or a host directory (a bind mount); read-only with :ro (repeatable)',
      collectVolume,
      [],
    )
    .option('--device-read-bps <[/dev/vda:]rate>', "limit reads from the engine's disk to RATE bytes a second, e.g. 1mb (cgroup io.max)", parseDeviceRate)
    .option('--device-write-bps <[/dev/vda:]rate>', "limit writes to the engine's disk to RATE bytes a second, e.g. 1mb (cgroup io.max)", parseDeviceRate)
    .option('--cap-add <cap>', "add a capability (e.g. NET_ADMIN, or ALL) to Docker's set (repeatable)", collect, [])
    .option('--cap-drop <cap>', "drop a capability (or ALL) from Docker's set (repeatable)", collect, [])
    .option('--stop-signal <signal>', 'the signal stop sends first (default TERM)')
    .option('--stop-timeout <seconds>', 'seconds stop waits before SIGKILL (default 10)', (v) => nonNegativeInt(v))
    .option('--security-opt <opt>', 'no-new-privileges (always in force in glassbox; other options are refused)', collect, [])
    .option(
      '--ulimit <NAME=SOFT[:HARD]>',
      "a resource limit of the container's processes, e.g. nofile=1024:2048 (repeatable; -1 is unlimited)",
      (v, prev: Ulimit[]) => [...prev, cliParse(parseUlimit, v)],
      [],
    )
    .option('--init', 'run a minimal init as PID 1 that passes signals on to the command and reaps orphans')
    .option('--restart <policy>', 'no (default), always, unless-stopped or on-failure[:MAX-RETRIES]: start it again when it ends, while the engine runs', (v) =>
      cliParse(parseRestartPolicy, v),
    )
    .option('-i, --interactive', "stream this command's stdin to the container")
    .option('-t, --tty', 'give the container a terminal (with -i: this one, in raw mode)')
    .passThroughOptions()
    .action(async (image: string, command: string[], o: RunFlags) => {
      const { interactive, tty, label, securityOpt, tmpfs, capAdd, capDrop, ulimit, volume, ...flags } = o;
      // glassbox sets no_new_privs for every container, so this option asks for what is already so.
      const unknownOpt = securityOpt.find((opt) => !/^no-new-privileges(:true|=true)?$/.test(opt));
      if (unknownOpt) return reportError(`--security-opt ${unknownOpt} is not supported: glassbox takes no-new-privileges (always in force)`);
      const some = <T>(list: T[]) => (list.length ? list : undefined);
      const stopSignal = flags.stopSignal?.toUpperCase().replace(/^SIG/, '');
      const rest = {
        ...flags,
        stopSignal,
        labels: labels(label),
        tmpfs: some(tmpfs),
        capAdd: some(capAdd),
        capDrop: some(capDrop),
        ulimits: some(ulimit),
        ...splitVolumes(volume),
        publish: flags.publish.length ? flags.publish : undefined,
      };
      if (o.rm && o.restart && o.restart.name !== 'no') return reportError('conflicting options: --restart and --rm');
      if (tty && o.detach) {
        process.stderr.write('glassbox: -t needs an attached container: it cannot be combined with -d\n');
        process.exitCode = 125;
        return;
      }
      if (!(await pullMissing([image]))) return;
      if (interactive || tty) {
        const options: RunRequestOptions = { ...rest, cmd: command.length ? command : undefined, ...(tty ? { tty: windowSize() } : {}) };
        return attached({ op: 'run', image, options, attach: true }, o);
      }
      const options: RunRequestOptions = { ...rest, cmd: command.length ? command : undefined };
      const r = await call<RunResult>({ op: 'run', image, options });
      if (!r) return;
      if (o.detach) process.stdout.write(r.id + '\n');
      else printResult(r);
    });

  program
    .command(topLevel ? 'ps' : 'ls')
    .aliases(topLevel ? [] : ['ps', 'list'])
    .description('list running containers')
    .option('-a, --all', 'list stopped containers too')
    .option('-q, --quiet', 'only the IDs')
    .option('--no-trunc', 'full IDs and commands')
    .option('-f, --filter <KEY=VALUE>', 'id, name (a regular expression), status, label (KEY or KEY=VALUE), ancestor (image); repeatable, all must hold', collect, [])
    .option('--format <template>', 'a Go template per container, e.g. {{.Names}}, {{json .}} or "table {{.ID}}\\t{{.Status}}"')
    .action(async (o: { all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; format?: string }) => {
      let keep: (c: Listed) => boolean;
      try {
        keep = filterPredicate(o.filter);
      } catch (e) {
        return reportError((e as Error).message);
      }
      // Docker lists every container a status filter names, running or not.
      const all = o.all === true || o.filter.some((f) => f.startsWith('status='));
      const list = await call<Listed[]>({ op: 'ps', all });
      if (!list) return;
      const format = o.quiet ? '{{.ID}}' : (o.format ?? DEFAULT_PS_FORMAT);
      printFormatted(
        format,
        PS_HEADERS,
        list.filter(keep).map((c) => psRow(c, !o.trunc)),
      );
    });

  program
    .command('exec')
    .description('run a command in a running container')
    .option('-i, --interactive', "stream this command's stdin")
    .option('-t, --tty', 'give the command a terminal (with -i: this one, in raw mode)')
    .option('-d, --detach', 'run it in the background (its output is dropped)')
    .option('-u, --user <user>', "name, name:group, uid or uid:gid (default: the container's user)")
    .option('-w, --workdir <dir>', 'working directory for the command')
    .option('-e, --env <KEY=VALUE>', "set an environment variable on top of the container's, or pass this shell's with -e KEY (repeatable)", collectEnv, [])
    .argument('<container>', 'name or ID prefix')
    .argument('<command...>', 'command and arguments')
    .passThroughOptions()
    .action(async (container: string, cmd: string[], o: { interactive?: boolean; tty?: boolean; detach?: boolean; user?: string; workdir?: string; env: string[] }) => {
      const { user, workdir } = o;
      const env = o.env.length ? o.env : undefined;
      if (o.detach && (o.interactive || o.tty)) return reportError('exec -d runs in the background: it cannot be combined with -i or -t');
      if (o.interactive || o.tty) return attached({ op: 'exec', container, cmd, attach: true, user, workdir, env, ...(o.tty ? { tty: windowSize() } : {}) }, o);
      const r = await call<ShellResult>({ op: 'exec', container, cmd, user, workdir, detach: o.detach, env });
      if (r) printResult(r);
    });

  program
    .command('logs')
    .description("print a container's stdout and stderr")
    .option('-f, --follow', 'keep printing what it writes until it exits')
    .option('-n, --tail <lines>', 'only the last N lines of each stream ("all" for every line)', 'all')
    .option('-t, --timestamps', 'each line after the guest time it was written at (RFC 3339, nanoseconds)')
    .option('--since <time>', 'only lines written since a time: RFC 3339 (2026-12-06T21:10:24Z), Unix seconds, or a duration before now (10m, 1h30m)')
    .option('--until <time>', 'only lines written up to a time, in the same forms as --since')
    .argument('<container>', 'name or ID prefix')
    .action(async (container: string, o: LogsFlags) => {
      if (o.tail !== 'all' && !/^\d+$/.test(o.tail)) return reportError(`--tail takes a number of lines or "all", not "${o.tail}"`);
      let window: { since?: bigint; until?: bigint };
      try {
        window = { since: o.since === undefined ? undefined : dockerTime(o.since, 'since'), until: o.until === undefined ? undefined : dockerTime(o.until, 'until') };
      } catch (e) {
        // Docker's client refuses the value before asking the daemon: its message alone, status 1.
        process.stderr.write(`${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (o.timestamps || o.since !== undefined || o.until !== undefined) return timedLogs(container, o, window);
      const tail = (text: string) => (o.tail === 'all' ? text : lastLines(text, Number(o.tail)));
      let r = await call<ContainerLogs>({ op: 'logs', container });
      if (!r) return;
      process.stdout.write(tail(r.stdout));
      process.stderr.write(tail(r.stderr));
      // Following polls the engine: each round prints what was written since; it ends when the container does (or with Ctrl-C).
      const followEnded = followWatch();
      while (o.follow) {
        const [before, state] = [r, await call<Inspected>({ op: 'inspect', container })];
        if (!state) return;
        await new Promise((res) => setTimeout(res, FOLLOW_POLL_MS));
        r = await call<ContainerLogs>({ op: 'logs', container });
        if (!r) return;
        process.stdout.write(r.stdout.slice(before.stdout.length));
        process.stderr.write(r.stderr.slice(before.stderr.length));
        if (followEnded(state)) return;
      }
    });

  program
    .command('stats')
    .description("memory, pids and CPU figures from the container's cgroup v2 files")
    .option('--no-stream', 'one sample (the only kind glassbox takes)')
    .option('--format <template>', "a Go template over Docker's fields (.Name, .ID, .MemUsage, .PIDs) and the cgroup files' (.Cgroup)")
    .argument('[container...]', 'names or ID prefixes (default: every running container)')
    .action(async (containers: string[], o: { format?: string }) => {
      // One container without a format: every cgroup figure, a line each.
      if (!o.format && containers.length === 1) {
        const r = await call<Record<string, string>>({ op: 'stats', container: containers[0]! });
        return void Object.entries(r ?? {}).forEach(([k, v]) => process.stdout.write(`${k}: ${v}\n`));
      }
      if (!containers.length) {
        const running = await call<Listed[]>({ op: 'ps', all: false });
        if (!running) return;
        containers = running.map((c) => c.id);
      }
      const rows = [];
      for (const container of containers) {
        // inspect carries the same cgroup figures with the container's name and ID.
        const c = await call<Inspected>({ op: 'inspect', container });
        if (c) rows.push(statsRow(c));
      }
      printFormatted(o.format ?? 'table {{.ID}}\t{{.Name}}\t{{.MemUsage}}\t{{.PIDs}}', STATS_HEADERS, rows);
    });

  if (!topLevel) {
    program
      .command('inspect')
      .description("configuration, state and isolation facts, as a JSON array (Docker's fields, the engine's own under Glassbox)")
      .option('-f, --format <template>', 'a Go template per container, e.g. {{.State.Status}} or {{json .Config}}')
      .argument('<container...>', 'names or ID prefixes')
      .action(async (containers: string[], o: { format?: string }) => {
        const found: ReturnType<typeof inspectView>[] = [];
        for (const container of containers) {
          const r = await call<Inspected>({ op: 'inspect', container });
          if (r) found.push(inspectView(r));
        }
        if (o.format) printFormatted(o.format, {}, found);
        else process.stdout.write(JSON.stringify(found, null, 4) + '\n');
      });
  }

  program
    .command('stop')
    .description('the stop signal (run --stop-signal, default TERM), then SIGKILL after 10 s (or run --stop-timeout)')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', nonNegativeInt)
    .argument('<container...>', 'names or ID prefixes')
    .action((containers: string[], o: { time?: number }) => forEach(containers, (container) => ({ op: 'stop', container, time: o.time })));

  const each = {
    start: 'start stopped containers again, on their writable layers (their logs go on)',
    restart: 'stop (TERM, then KILL after 10 s) and start containers, keeping their writable layers',
    pause: 'freeze every process of containers (the cgroup v2 freezer)',
    unpause: 'thaw paused containers',
  } as const;
  program
    .command('restart')
    .description(each.restart)
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', nonNegativeInt)
    .argument('<container...>', 'names or ID prefixes')
    .action((containers: string[], o: { time?: number }) => forEach(containers, (container) => ({ op: 'restart', container, time: o.time })));

  for (const op of ['start', 'pause', 'unpause'] as const) {
    program
      .command(op)
      .description(each[op])
      .argument('<container...>', 'names or ID prefixes')
      .action((containers: string[]) => forEach(containers, (container) => ({ op, container })));
  }

  program
    .command('top')
    .description('the processes of a container (its cgroup), PIDs as the guest sees them')
    .argument('<container>', 'name or ID prefix')
    .action(async (container: string) => {
      const procs = await call<{ pid: number; uid: number; ppid: number; args: string }[]>({ op: 'top', container });
      if (procs) process.stdout.write(table([['UID', 'PID', 'PPID', 'CMD'], ...procs.map((p) => [String(p.uid), String(p.pid), String(p.ppid), p.args])]));
    });

  program
    .command('wait')
    .description('wait until containers stop, then print their exit codes')
    .argument('<container...>', 'names or ID prefixes')
    .action(async (containers: string[]) => {
      for (const container of containers) {
        const exited = exitWatch();
        for (;;) {
          const r = await call<Inspected>({ op: 'inspect', container });
          if (!r) break;
          if (exited(r)) {
            process.stdout.write(`${r.state.exitCode ?? -1}\n`);
            break;
          }
          await new Promise((res) => setTimeout(res, FOLLOW_POLL_MS));
        }
      }
    });

  program
    .command('kill')
    .description("send a signal (default KILL) to a container's init")
    .option('-s, --signal <name>', 'signal name or number', 'KILL')
    .argument('<container...>', 'names or ID prefixes')
    .action((containers: string[], o: { signal: string }) => forEach(containers, (container) => ({ op: 'kill', container, signal: o.signal.toUpperCase().replace(/^SIG/, '') })));

  if (!topLevel) {
    program
      .command('prune')
      .description('remove every stopped container')
      .option('-f, --force', 'do not ask for confirmation')
      .action(async (o: { force?: boolean }) => {
        if (!o.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return;
        const gone = await removeStoppedContainers(true);
        process.stdout.write(`Deleted Containers:\n${gone.map((id) => `${id}\n`).join('')}`);
      });
  }

  program
    .command('rm')
    .description('remove containers and their writable layers')
    .option('-f, --force', 'kill a running container first')
    .argument('<container...>', 'names or ID prefixes')
    .action((containers: string[], o: { force?: boolean }) => forEach(containers, (container) => ({ op: 'rm', container, force: o.force === true })));
}

/** glassbox build, under the top level and under image. */
function defineBuild(program: Command): void {
  program
    .command('build')
    .description('build an image from a Dockerfile (FROM, RUN, COPY, WORKDIR, ENV, ENTRYPOINT, CMD), each RUN in a container')
    .requiredOption('-t, --tag <name>', 'NAME[:TAG] for the image')
    .option('-f, --file <Dockerfile>', 'the Dockerfile (default: CONTEXT/Dockerfile)')
    .argument('<context>', 'directory COPY sources are taken from')
    .action(async (context: string, o: { tag: string; file?: string }) => {
      const file = o.file ?? join(context, 'Dockerfile');
      const problem = !existsSync(file)
        ? `no Dockerfile at ${file}`
        : !statSync(file).isFile()
          ? `${file} is not a file (give the Dockerfile with -f)`
          : !existsSync(context) || !statSync(context).isDirectory()
            ? `the build context ${context} is not a directory`
            : undefined;
      if (problem) {
        process.stderr.write(`glassbox: ${problem}\n`);
        process.exitCode = 1;
        return;
      }
      const dockerfile = readFileSync(file, 'utf8');
      if (!(await pullMissing(dockerfileImages(dockerfile)))) return;
      const req: EngineRequest = { op: 'build', tag: o.tag, context: resolve(context), dockerfile };
      await call(req, (line) => process.stdout.write(line + '\n'));
    });
}

/**
 * Docker's CLI exits 125 for a flag it cannot take (an unknown one, a bad
 * value) and 1 for missing arguments; commander's own status is 1 for both.
 * Scripts written for Docker tell a CLI error from a container's status by
 * the 125.
 */
function dockerUsageStatus(e: CommanderError): never {
  const flagError = ['commander.unknownOption', 'commander.invalidArgument', 'commander.optionMissingArgument', 'commander.conflictingOption'].includes(e.code);
  process.exit(e.exitCode === 0 ? 0 : flagError ? 125 : e.exitCode);
}

/** The commands `define` adds to `program`, with Docker's usage statuses. */
function withDockerStatuses(program: Command, define: (p: Command) => void): void {
  const before = new Set(program.commands);
  define(program);
  for (const c of program.commands) if (!before.has(c)) c.exitOverride(dockerUsageStatus);
}

export function registerContainerCommands(program: Command): void {
  // Options after the image (or container) belong to the command run in it.
  program.enablePositionalOptions();
  withDockerStatuses(program, (p) => {
    defineContainerCommands(p, true);
    defineFileCommands(p);
  });
  const container = new Command('container').description('the container commands again, with inspect (top-level inspect is the machine inspector)').enablePositionalOptions();
  withDockerStatuses(container, (p) => {
    defineContainerCommands(p, false);
    defineFileCommands(p);
  });
  program.addCommand(container);

  defineBuild(program);
  defineNetworkCommands(program, call);
  defineVolumeCommands(program, call);
  // `image build` as Docker has it (the image command is images.ts's).
  const image = program.commands.find((c) => c.name() === 'image');
  if (image) defineBuild(image);

  const engine = new Command('engine').description('the background process that owns the guest and its containers');
  engine
    .command('status')
    .description('whether the engine runs, its PID and container count')
    .action(async () => {
      if (!(await engineRunning(glassboxHome()))) {
        process.stdout.write('engine: not running\n');
        return;
      }
      const s = await call<{ pid: number; started: string; containers: number; build?: string }>({ op: 'status' });
      const build = s?.build === buildId() ? '' : `, ${s?.build ? `build ${s.build}` : 'an older build'}, not this command's ${buildId()}: "glassbox engine stop" ends it`;
      if (s) process.stdout.write(`engine: running, pid ${s.pid}, since ${s.started}, ${s.containers} containers${build}\n`);
    });
  engine
    .command('stop')
    .description('stop the engine (and its guest, with every container)')
    .action(async () => {
      if (!(await engineRunning(glassboxHome()))) {
        process.stdout.write('engine: not running\n');
        return;
      }
      if ((await call({ op: 'shutdown' })) !== undefined) process.stdout.write('engine: stopped\n');
    });
  engine.command('serve', { hidden: true }).action(async () => {
    try {
      await serveEngine(glassboxHome());
    } catch (e) {
      process.stderr.write(`glassbox: ${(e as Error).message}\n`);
      process.exit(1);
    }
  });
  program.addCommand(engine);
}
