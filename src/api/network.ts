// A Machine's network card: virtio-net on the PC's virtio-MMIO bus, with the
// host end of its link (a NetBackend) given by the caller, since what that is
// depends on the platform (the user-mode network in Node, src/net; a relay in
// a browser). Kept out of machine.ts so the Machine stays platform-neutral.
//
// Time: a guest waiting on the host (a DNS answer, a connection's bytes)
// halts with its timers armed, and under the virtual clock idle time jumps
// to the next timer at once, so the guest's own timeouts would expire before
// any host answer could come. While the backend says the guest may be
// waiting on it, idle time may only pass as fast as the wall clock does.
// That makes a networked run depend on the host's timing: networking and
// deterministic replay do not go together.

import { parseMac } from '../net/addresses.ts';
import type { PcMachine } from '../machine/machine.ts';
import { VirtioNet, type NetBackend, type NetStats } from '../devices/virtio/net.ts';
import { MachineError, type NetworkOptions } from './types.ts';

/** The card's MAC unless the caller names one. */
export const DEFAULT_MAC = '52:54:00:12:34:56';

export class MachineNetwork {
  readonly nic: VirtioNet;
  /** Guest time less wall time since the guest began waiting on the host, or null while it is not. */
  private base: number | null = null;

  constructor(
    pc: PcMachine,
    readonly options: NetworkOptions,
    wake: () => void,
  ) {
    let mac: Uint8Array;
    try {
      mac = parseMac(options.mac ?? DEFAULT_MAC);
    } catch (e) {
      throw new MachineError(`network: ${(e as Error).message}`);
    }
    this.nic = new VirtioNet(mac, options.backend, wake);
    pc.addVirtio('net', this.nic);
  }

  get backend(): NetBackend {
    return this.options.backend;
  }

  get stats(): NetStats {
    return { ...this.nic.stats };
  }

  /** Whether the guest may be waiting on the host end of the link. */
  get hostWaiting(): boolean {
    return this.options.backend.hostWaiting?.() ?? false;
  }

  /**
   * How far idle time may jump under the virtual clock: no limit unless the
   * guest may be waiting on the host; then guest time follows the wall clock
   * from where it was when the waiting began (as the realtime clock does).
   */
  idleSkipLimit(nowNs: number): number {
    if (!this.hostWaiting) {
      this.base = null;
      return Infinity;
    }
    const wallNs = performance.now() * 1e6;
    this.base ??= nowNs - wallNs;
    return this.base + wallNs;
  }
}
