// glassbox version | info | system info | system df: what Docker users ask of
// a host, answered for the engine's guest (its kernel, the CPU model the
// core's CPUID names, cgroup version, runtime, storage).

import type { Command } from 'commander';
import { glassboxHome } from '../home.ts';
import { callEngine, engineRunning } from '../daemon/client.ts';
import { buildId } from '../daemon/build-id.ts';
import { ImageStore } from '../containers/store/image-store.ts';
import { printFormatted } from './go-template.ts';
import { registerPruneCommand } from './images.ts';
import { table } from './table.ts';

// Inlined by the bundler, so the bundled CLI needs no package.json beside it.
import pkg from '../../package.json' with { type: 'json' };

const VERSION = pkg.version;

/** The engine's answer, or the error on stderr with Docker's status for an engine error (125). */
async function ask<T>(op: 'info' | 'status'): Promise<T | undefined> {
  try {
    return (await callEngine(glassboxHome(), { op })) as T;
  } catch (e) {
    process.stderr.write(`glassbox: ${(e as Error).message}\n`);
    process.exitCode = 125;
    return undefined;
  }
}

interface GuestInfo {
  kernel: string;
  os: string;
  cpu: string;
  cpus: string;
  memory: string;
  cgroup: string;
  crun: string;
  overlay: string;
  containers: string[];
  build: string;
  memoryMiB: number;
}

async function info(o: { format?: string }): Promise<void> {
  const g = await ask<GuestInfo>('info');
  if (!g) return;
  const count = (s: string) => g.containers.filter((c) => c === s).length;
  const view = {
    ID: g.build,
    Containers: g.containers.length,
    ContainersRunning: count('running'),
    ContainersPaused: count('paused'),
    ContainersStopped: count('exited'),
    Images: ImageStore.open().list().length,
    Driver: g.overlay !== '0' ? 'overlay' : 'none',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: g.cgroup,
    KernelVersion: g.kernel,
    OperatingSystem: `${g.os.split(' ')[0]} (the glassbox guest)`,
    Architecture: g.os.split(' ')[1] ?? '',
    NCPU: Number(g.cpus),
    MemTotal: Number(g.memory) * 1024,
    CPUModel: g.cpu,
    DefaultRuntime: 'crun',
    RuntimeVersion: g.crun,
    ServerVersion: VERSION,
    DockerRootDir: glassboxHome(),
  };
  if (o.format) return printFormatted(o.format, {}, [view]);
  process.stdout.write(
    [
      'Server:',
      ` Containers: ${view.Containers}`,
      `  Running: ${view.ContainersRunning}`,
      `  Paused: ${view.ContainersPaused}`,
      `  Stopped: ${view.ContainersStopped}`,
      ` Images: ${view.Images}`,
      ` Server Version: ${VERSION} (engine build ${g.build})`,
      ` Storage Driver: ${view.Driver}`,
      ` Cgroup Driver: cgroupfs`,
      ` Cgroup Version: ${view.CgroupVersion}`,
      ` Default Runtime: crun (${g.crun})`,
      ` Kernel Version: ${g.kernel}`,
      ` Operating System: ${view.OperatingSystem}`,
      ` Architecture: ${view.Architecture}`,
      ` CPU model (CPUID of the emulated core): ${g.cpu}`,
      ` CPUs: ${view.NCPU}`,
      ` Total Memory: ${(view.MemTotal / 2 ** 20).toFixed(1)}MiB`,
      ` Glassbox Root Dir: ${view.DockerRootDir}`,
      '',
    ].join('\n'),
  );
}

async function version(o: { format?: string }): Promise<void> {
  const running = await engineRunning(glassboxHome());
  const s = running ? await ask<{ pid: number; build?: string }>('status') : undefined;
  const view = {
    Client: { Version: VERSION, Build: buildId(), NodeVersion: process.version, Os: process.platform, Arch: process.arch },
    Server: s ? { Version: VERSION, Build: s.build ?? '', Pid: s.pid } : null,
  };
  if (o.format) return printFormatted(o.format, {}, [view]);
  process.stdout.write(`Client:\n Version: ${VERSION}\n Build: ${view.Client.Build}\n Node: ${process.version}\n OS/Arch: ${process.platform}/${process.arch}\n\n`);
  process.stdout.write(
    view.Server
      ? `Server: glassbox engine\n Version: ${VERSION}\n Build: ${view.Server.Build}\n PID: ${view.Server.Pid}\n`
      : 'Server: no engine running (any container command starts one)\n',
  );
}

async function df(): Promise<void> {
  const images = ImageStore.open().list();
  const rows = [
    ['TYPE', 'TOTAL', 'SIZE'],
    ['Images', String(images.length), `${(images.reduce((n, i) => n + i.size, 0) / 1e6).toFixed(2)}MB`],
  ];
  if (await engineRunning(glassboxHome())) {
    const g = await ask<GuestInfo>('info');
    if (g) rows.push(['Containers', String(g.containers.length), '(in the guest)']);
  }
  process.stdout.write(table(rows));
}

export function registerSystemCommands(program: Command): void {
  const formatOption = ['-f, --format <template>', 'a Go template, e.g. {{.KernelVersion}} or {{json .}}'] as const;
  program
    .command('info')
    .description("the engine's guest as docker info describes a host: kernel, CPU model, cgroup version, storage, runtime")
    .option(...formatOption)
    .action(info);
  program
    .command('version')
    .description("glassbox's version and build, and the running engine's")
    .option(...formatOption)
    .action(version);
  const system = program.command('system').description("Docker's system commands: info, df, prune");
  system
    .command('info')
    .description('as glassbox info')
    .option(...formatOption)
    .action(info);
  system.command('df').description('images in the store and containers in the engine').action(df);
  registerPruneCommand(system);
}
