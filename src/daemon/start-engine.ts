// What the engine process has before it answers its first request: its disk
// checked, its guest resumed (engine/boot.ts) with that disk and a network
// card on the user-mode network, the disk mounted, the link up, and the
// container engine on them with the containers and networks an earlier
// engine left. The engine's start as the daemon does it, so
// bench:snapshot times the same thing.

import type { ClockMode, Machine } from '../api/index.ts';
import { DEFAULT_MAC } from '../api/network.ts';
import { DEFAULT_MEMORY_MIB } from '../boot/default-guest.ts';
import { ipToString, parseMac } from '../net/addresses.ts';
import { NET_PLAN, UserNet } from '../net/user-net.ts';
import { nodeOutside } from '../net/node-outside.ts';
import { bootDefaultGuest } from '../containers/engine/boot.ts';
import { ContainerEngine } from '../containers/engine/containers.ts';
import { BIND_TAG } from '../containers/engine/binds.ts';
import { HostBinds } from '../containers/engine/host-binds.ts';
import { checkMounted, engineDiskPath, inspectEngineDisk, MOUNT_MS, mountScript } from '../containers/engine/disk.ts';
import { machineShell, type GuestShell } from '../containers/engine/guest-shell.ts';
import { linkAddress, linkUpScript } from '../containers/engine/network-scripts.ts';
import { setClockScript, storageScript } from '../containers/engine/guest-scripts.ts';
import { runSteps } from '../containers/engine/steps.ts';
import type { ImageStore } from '../containers/store/image-store.ts';
import { fileJournal, networkJournal } from './journal.ts';
import { UserNetPublisher } from './port-publisher.ts';
import { startBlobServer } from './blob-server.ts';

export interface StartedEngine {
  machine: Machine;
  shell: GuestShell;
  engine: ContainerEngine;
  /** Stops the guest and lets go of the host's sockets (its network's and the blob server's), so a process that started the engine in passing can end. */
  stop(): Promise<void>;
}

/**
 * The engine's guest resumed (engine/boot.ts) with its disk at `disk`, a
 * network card on the user-mode network (outbound through this process's
 * sockets, published ports on its listeners) and the bind mounts' share.
 */
export async function engineGuest(disk: string, clock: ClockMode): Promise<{ machine: Machine; userNet: UserNet; binds: HostBinds }> {
  // A guest resumed with its link up may send nothing before the first published port's connection comes in: its MAC is given.
  const userNet = new UserNet(nodeOutside(), { guestMac: parseMac(DEFAULT_MAC) });
  // One 9p share for every bind mount (engine/binds.ts): it exports a host directory when a run names it.
  const binds = new HostBinds();
  const machine = await bootDefaultGuest(DEFAULT_MEMORY_MIB, clock, disk, { backend: userNet }, [{ tag: BIND_TAG, server: binds.server }]);
  return { machine, userNet, binds };
}

/** Starts the engine of `home` on `store`; `log` gets what went wrong that does not stop it. */
export async function startEngine(home: string, store: ImageStore, clock: ClockMode, log: (line: string) => void): Promise<StartedEngine> {
  // The engine's disk (layers, containers' files) is checked before the guest starts, and mounted before any request.
  const disk = engineDiskPath(home);
  const diskState = inspectEngineDisk(disk);
  const { machine, userNet, binds } = await engineGuest(disk, clock);
  machine.on('diskError', (why) => log(`the guest got an I/O error: ${why}`));
  const shell = machineShell(machine);
  // What the snapshot could not hold, in one command (steps.ts): the guest's wall clock starts at the machine's
  // epoch (2026-01-01); under the realtime clock it is set to the host's, so that what it stamps (the containers'
  // log lines, files' times) reads as the host's time, across engines too. Then the disk mounted, the containers'
  // places on it, and the link, up already in the snapshot unless its DHCP failed then: this tries again, or says why not.
  const done = await runSteps(
    shell,
    [
      ...(clock === 'realtime' ? [{ name: 'clock', script: setClockScript(Date.now()) }] : []),
      { name: 'disk', script: mountScript(diskState) },
      { name: 'storage', script: storageScript() },
      { name: 'link', script: linkUpScript() },
    ],
    { timeoutMs: MOUNT_MS },
  );
  const set = done.get('clock');
  if (set && set.exitCode !== 0) log(`the guest's clock could not be set to the host's: ${set.stderr.trim()}`);
  checkMounted(diskState, done.get('disk')!);
  const link = done.get('link')!;
  // Published ports are forwarded to the address the user-mode network leases; a guest holding another would never answer.
  const guestIp = ipToString(NET_PLAN.guest);
  const address = link.exitCode === 0 ? linkAddress(link.stdout) : undefined;
  if (link.exitCode !== 0) log(`the guest's network is down: ${link.stderr.trim()}`);
  else if (address !== guestIp) log(`the guest's network is off: its eth0 has ${address ?? 'no IPv4 address'}, not the leased ${guestIp}`);
  const networking =
    address === guestIp
      ? { publisher: new UserNetPublisher(userNet), dns: ipToString(NET_PLAN.dns), guestIp, blobs: await startBlobServer(ipToString(NET_PLAN.gateway)) }
      : undefined;
  const engine = new ContainerEngine(shell, store, fileJournal(home), networking, networkJournal(home), binds);
  // Made above unless that failed; then the engine makes it (restore, next), or says why it cannot.
  if (done.get('storage')!.exitCode === 0) engine.storageMade();
  // The containers an earlier engine left on the disk are taken back before any request sees the list.
  for (const problem of await engine.restore()) log(problem);
  const stop = async () => {
    machine.stop();
    userNet.close();
    await networking?.blobs.close();
  };
  return { machine, shell, engine, stop };
}
