// The engine's container records in the shapes Docker's CLI shows them, so
// that --format templates and filters written for Docker work: ps rows
// (.ID, .Names, .Image, .Status, ...) and inspect objects (.State.Status,
// .Config.Labels, .NetworkSettings.IPAddress, ...).

import type { ContainerRecord, ContainerState } from '../containers/engine/containers.ts';

export type Listed = ContainerRecord & { state: ContainerState };

/** The STATUS column: Docker's "Exited (N)", our words for what Docker has none for. */
export function statusText(s: ContainerState): string {
  if (s.lost) return 'Lost (its engine ended)';
  if (s.status === 'exited') return `Exited (${s.exitCode})${s.oomKilled ? ' OOM-killed' : ''}`;
  return s.status;
}

const labelText = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** A `ps --format` row; the names are Docker's. */
export function psRow(c: Listed, noTrunc: boolean) {
  const command = c.args.join(' ');
  return {
    ID: noTrunc ? c.id : c.id.slice(0, 12),
    Image: c.image,
    Command: JSON.stringify(noTrunc || command.length <= 20 ? command : command.slice(0, 19) + '…'),
    CreatedAt: c.created,
    State: c.state.lost ? 'dead' : c.state.status,
    Status: statusText(c.state),
    Names: c.name,
    Labels: labelText(c.options.labels),
    Ports: (c.network?.ports ?? []).map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', '),
    Mounts: '',
    Networks: c.network?.mode ?? (c.options.network === 'none' ? 'none' : 'host'),
  };
}

export const PS_HEADERS: Record<string, string> = {
  '.ID': 'CONTAINER ID',
  '.Image': 'IMAGE',
  '.Command': 'COMMAND',
  '.CreatedAt': 'CREATED AT',
  '.State': 'STATE',
  '.Status': 'STATUS',
  '.Names': 'NAMES',
  '.Labels': 'LABELS',
  '.Ports': 'PORTS',
  '.Mounts': 'MOUNTS',
  '.Networks': 'NETWORKS',
};

export const DEFAULT_PS_FORMAT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}';

/** What `container inspect` returns: the engine's record with its state, isolation facts and cgroup figures. */
export type Inspected = Listed & { isolation?: Record<string, unknown>; limits: Record<string, string> };

/** Docker's inspect object, with the engine's own facts under Glassbox. */
export function inspectView(r: Inspected) {
  const o = r.options;
  return {
    Id: r.id,
    Created: r.created,
    Path: r.args[0] ?? '',
    Args: r.args.slice(1),
    State: {
      Status: r.state.lost ? 'dead' : r.state.status,
      Running: r.state.status === 'running',
      Paused: r.state.status === 'paused',
      OOMKilled: r.state.oomKilled,
      Dead: r.state.lost === true,
      Pid: r.state.pid ?? 0,
      ExitCode: r.state.exitCode ?? 0,
    },
    Image: r.imageId,
    Name: `/${r.name}`,
    Config: {
      Hostname: o.hostname ?? r.id.slice(0, 12),
      User: o.user ?? '',
      Env: o.env ?? [],
      Cmd: o.cmd ?? null,
      Image: r.image,
      WorkingDir: o.workdir ?? '',
      Labels: o.labels ?? {},
    },
    HostConfig: {
      Memory: o.memory ?? 0,
      NanoCpus: Math.round((o.cpus ?? 0) * 1e9),
      PidsLimit: o.pidsLimit ?? 0,
      NetworkMode: r.network?.mode ?? (o.network === 'none' ? 'none' : 'host'),
      AutoRemove: o.rm === true,
      RestartPolicy: { Name: o.restart?.name ?? 'no', MaximumRetryCount: o.restart?.maxRetries ?? 0 },
      Init: o.init === true,
      Ulimits: (o.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    },
    RestartCount: r.restartCount ?? 0,
    // A container on a network has an address of its own; on host or none, none.
    NetworkSettings: {
      IPAddress: r.network?.ip ?? '',
      Ports: Object.fromEntries((r.network?.ports ?? []).map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]])),
    },
    Glassbox: { isolation: r.isolation, limits: r.limits, user: r.user, lost: r.lost === true },
  };
}

/** Whether a container passes every `ps -f KEY=VALUE` filter (Docker's keys: id, name, status, label, ancestor). */
export function filterPredicate(filters: string[]): (c: Listed) => boolean {
  const tests = filters.map((f) => {
    const eq = f.indexOf('=');
    if (eq < 1) throw new Error(`bad filter "${f}": give KEY=VALUE (id, name, status, label, ancestor)`);
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    switch (key) {
      case 'id':
        return (c: Listed) => c.id.startsWith(value);
      // Docker matches names as a regular expression.
      case 'name': {
        const re = new RegExp(value);
        return (c: Listed) => re.test(c.name);
      }
      case 'status': {
        const known = ['created', 'running', 'paused', 'exited', 'dead'];
        if (!known.includes(value)) throw new Error(`invalid filter 'status=${value}': glassbox containers are ${known.join(', ')}`);
        return (c: Listed) => psRow(c, false).State === value;
      }
      case 'label': {
        const [k, v] = value.includes('=') ? [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)] : [value, undefined];
        return (c: Listed) => c.options.labels?.[k] !== undefined && (v === undefined || c.options.labels[k] === v);
      }
      case 'ancestor': {
        const name = value.includes(':') || value.includes('@') ? value : `${value}:latest`;
        return (c: Listed) => c.image === name || c.image === value || c.imageId.replace(/^sha256:/, '').startsWith(value.replace(/^sha256:/, ''));
      }
      default:
        throw new Error(`invalid filter '${key}': glassbox filters ps by id, name, status, label and ancestor`);
    }
  });
  return (c) => tests.every((t) => t(c));
}
