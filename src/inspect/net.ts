// The network in the glass walls: the card's frame and byte counters, the
// host end's own (flows, drops), each container's interface counters as the
// guest's bridge side of its veth counts them, and a packet capture of the
// card's frames both ways for a while, in the pcap format Wireshark and
// tshark read.

import type { Machine } from '../api/machine.ts';
import type { ContainerEngine } from '../containers/engine/containers.ts';
import { vethCountersScript } from '../containers/engine/network-scripts.ts';
import { script } from '../api/shell-script.ts';
import type { GuestShell } from '../containers/engine/guest-shell.ts';
import type { NetStats } from '../devices/virtio/net.ts';
import { pcapHeader, pcapRecord } from '../net/pcap.ts';
import { toBase64 } from '../snapshot/records.ts';
import { sleep } from '../api/yield.ts';

/** The most a capture holds before it stops taking frames (it travels in one reply). */
const CAPTURE_MAX = 32 << 20;

export interface ContainerNetCounters {
  name: string;
  network: string;
  ip: string;
  /** From the container's side: what it sent and received. */
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
}

export interface NetView {
  card: NetStats & { mac: string; waiting: number };
  link: Record<string, number>;
  containers: ContainerNetCounters[];
  /** The capture, base64 pcap, when one was asked for; frames it had no room for. */
  pcap?: string;
  captureFrames?: number;
  captureDropped?: number;
}

/** Records every frame of the card for `ms` of wall time. */
async function capture(machine: Machine, ms: number): Promise<{ bytes: Uint8Array; frames: number; dropped: number }> {
  const nic = machine.network!.nic;
  const parts = [pcapHeader()];
  let size = parts[0]!.length;
  let frames = 0;
  let dropped = 0;
  nic.tap = (f) => {
    const r = pcapRecord(Date.now(), f);
    if (size + r.length > CAPTURE_MAX) return void dropped++;
    parts.push(r);
    size += r.length;
    frames++;
  };
  try {
    await sleep(ms);
  } finally {
    nic.tap = null;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) bytes.set(p, at), (at += p.length);
  return { bytes, frames, dropped };
}

/** Each networked container's counters, read from the bridge end of its veth (rx there is what the container sent). */
async function containerCounters(engine: ContainerEngine, shell: GuestShell): Promise<ContainerNetCounters[]> {
  const on = (await engine.ps(false)).filter((c) => c.network?.ip);
  if (!on.length) return [];
  const read = script(...on.map((c) => vethCountersScript(c.id)));
  const rows = new Map(
    (await shell.run(read)).stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [id, ...n] = l.split(' ');
        return [id!, n.map(Number)] as const;
      }),
  );
  return on.map((c) => {
    const [txPackets = 0, txBytes = 0, rxPackets = 0, rxBytes = 0] = rows.get(c.id) ?? [];
    return { name: c.name, network: c.network!.mode, ip: c.network!.ip!, txPackets, txBytes, rxPackets, rxBytes };
  });
}

export async function netView(machine: Machine, shell: GuestShell, engine: ContainerEngine | undefined, pcapSeconds?: number): Promise<NetView> {
  const network = machine.network;
  if (!network) throw new Error("this guest has no network card (the engine's guest has one; a guest booted for this command does not)");
  const taken = pcapSeconds ? await capture(machine, pcapSeconds * 1000) : undefined;
  const mac = [...network.nic.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
  return {
    card: { ...network.stats, mac, waiting: network.nic.waiting },
    link: network.backend.stats?.() ?? {},
    containers: engine ? await containerCounters(engine, shell) : [],
    ...(taken ? { pcap: toBase64(taken.bytes), captureFrames: taken.frames, captureDropped: taken.dropped } : {}),
  };
}
