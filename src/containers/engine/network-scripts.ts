// The guest's side of networking, as shell the agent runs: eth0 up through
// DHCP (the user-mode network answers it), and containers on bridges in
// their own network namespaces.
//
// A container's namespace is made before crun runs (bind-mounted at
// /run/netns/ID, which config.json then names), so the veth pair can be set up while the container's process does
// not exist yet, and the container starts with its eth0, address and route
// in place. The guest forwards between its bridges and eth0; the host end
// of the link routes the containers' own addresses back to the guest, so no
// NAT runs in the guest.

import { script, sh, type Script } from '../../api/shell-script.ts';

export const NETNS_DIR = '/run/netns';

/**
 * Brings eth0 up with a DHCP lease, once (a guest with it configured, or
 * without a network card, is left as it is); prints eth0's `ip -4 addr`,
 * which linkAddress reads. The guest's boot asks for the lease too (rcS, in
 * the background); this makes sure of it. udhcpc's event script is the
 * guest's own (guest-images/rootfs/etc/udhcpc/default.script).
 */
export function linkUpScript(): Script {
  // One ip for the look and the answer when the lease is there already (as in the engine's snapshot).
  return script(
    sh`[ -e /sys/class/net/eth0 ] || { echo "the guest has no network card (eth0)" >&2; exit 1; }`,
    sh`a=$(ip -4 addr show dev eth0)`,
    sh`case "$a" in *inet*) ;; *)`,
    sh`  ip link set eth0 up`,
    sh`  udhcpc -i eth0 -n -q -t 5 -T 2 >/dev/null 2>&1 || { echo "no DHCP lease on eth0 (udhcpc found no server)" >&2; exit 1; }`,
    sh`  a=$(ip -4 addr show dev eth0) ;;`,
    sh`esac`,
    sh`echo 1 > /proc/sys/net/ipv4/ip_forward`,
    sh`printf '%s\\n' "$a"`,
  );
}

/** The IPv4 address in what linkUpScript printed (`inet A.B.C.D/N ...`), or undefined when eth0 has none. */
export function linkAddress(out: string): string | undefined {
  return /^\s*inet (\d+\.\d+\.\d+\.\d+)\//m.exec(out)?.[1];
}

/** A container network in the guest: its bridge device and IPv4 subnet (a /16). */
export interface GuestNetwork {
  bridge: string;
  /** The gateway address on the bridge, e.g. 172.18.0.1. */
  gateway: string;
  prefix: number;
}

/** Creates the network's bridge with its gateway address, if it is not there (the default network's is, in the engine's snapshot: engine/boot.ts). */
export function bridgeUp(n: GuestNetwork): Script {
  return sh`[ -e /sys/class/net/${n.bridge} ] || { brctl addbr ${n.bridge} && ip addr add ${`${n.gateway}/${n.prefix}`} dev ${n.bridge} && ip link set ${n.bridge} up; }`;
}

/** The host side of a container's veth pair (interface names are at most 15 bytes). */
export const vethName = (id: string) => `gbv${id.slice(0, 11)}`;

/**
 * Makes the container's network namespace at NETNS_DIR/ID with lo up and,
 * on a network, an eth0 at `ip` on the network's bridge with a default route
 * through the bridge; `hosts` becomes its /etc/hosts and resolv.conf points
 * at `dns`, both written into `rootfs`.
 *
 * Each process the guest starts is seconds of interpreted code under load,
 * so there are few: unshare makes the namespace, bind-mounts it (its
 * --net=FILE) and runs one shell in it, which makes the veth pair there (the
 * end left inside is the kernel's first vethN of an empty namespace: veth0),
 * hands the bridge's end to the guest's own namespace (PID 1's), and sets up
 * eth0; the guest's shell then puts that end on the bridge.
 */
export function attachScript(id: string, rootfs: string, net?: { network: GuestNetwork; ip: string; dns: string; hosts: string }): Script {
  const ns = `${NETNS_DIR}/${id}`;
  const lines = [sh`set -e`, sh`mkdir -p ${NETNS_DIR} && touch ${ns}`];
  if (!net) return script(...lines, sh`unshare --net=${ns} ip link set lo up`);
  const veth = vethName(id);
  const inside = script(
    sh`ip link set lo up && ip link add ${veth} type veth && ip link set ${veth} netns 1`,
    sh`ip link set veth0 name eth0 up && ip addr add ${`${net.ip}/${net.network.prefix}`} dev eth0 && ip route add default via ${net.network.gateway}`,
  );
  return script(
    ...lines,
    bridgeUp(net.network),
    sh`unshare --net=${ns} sh -c ${sh`set -e; ${inside}`.text}`,
    sh`brctl addif ${net.network.bridge} ${veth} && ip link set ${veth} up`,
    sh`mkdir -p ${rootfs}/etc`,
    sh`rm -f ${rootfs}/etc/hosts ${rootfs}/etc/resolv.conf`,
    sh`printf '%s' ${net.hosts} > ${rootfs}/etc/hosts`,
    sh`echo nameserver ${net.dns} > ${rootfs}/etc/resolv.conf`,
  );
}

/** Adds a line to a running container's /etc/hosts (a container that joined its network later). */
export function addHostScript(rootfs: string, line: string): Script {
  return sh`[ -f ${rootfs}/etc/hosts ] && echo ${line} >> ${rootfs}/etc/hosts || true`;
}

/** Prints "ID RX_PACKETS RX_BYTES TX_PACKETS TX_BYTES" of the bridge end of the container's veth (nothing after the ID when it has none). */
export function vethCountersScript(id: string): Script {
  return sh`d=/sys/class/net/${vethName(id)}/statistics; echo ${id} "$(cat "$d/rx_packets" "$d/rx_bytes" "$d/tx_packets" "$d/tx_bytes" 2>/dev/null | tr '\\n' ' ')"`;
}

/** Removes the container's namespace and its veth (deleting one end deletes both). */
export function detachScript(id: string): Script {
  return script(sh`ip link del ${vethName(id)} 2>/dev/null`, sh`umount ${NETNS_DIR}/${id} 2>/dev/null`, sh`rm -f ${NETNS_DIR}/${id}`, sh`true`);
}
