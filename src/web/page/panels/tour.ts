// The guided tour: each step runs the real thing in the guest (a shell
// command through the agent, or a container from the engine in the worker),
// shows what it printed, and points at the panel that shows the effect.

import { el, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';
import type { PortMapping } from '../../../containers/engine/networks.ts';

/** What a step can do in the page besides the guest: open a page port in the ports panel. */
interface TourPage {
  openPort(port: number): void;
}

interface Step {
  id: string;
  title: string;
  explain: string;
  /** Does the step in the guest and returns what to print. */
  run(machine: MachineProxy, page: TourPage): Promise<string>;
  panel: string;
}

const OOM_LIMIT_MIB = 8;
const BOX = 'tour-box';
const HOG = 'tour-oom';
const WEB = 'tour-web';
/** The page port the web step publishes its container's port 80 on. */
export const TOUR_WEB_PORT = 8090;
/** How long the web container's httpd may take to answer inside it. */
const WEB_READY_MS = 30_000;

/** Output of a shell command, with its status when it failed. */
const shell = async (machine: MachineProxy, command: string) => {
  const r = await machine.exec(command, 60_000);
  return r.stdout + r.stderr + (r.exitCode ? `(exit ${r.exitCode})\n` : '');
};

/** Starts a detached busybox container named `name`, replacing one the tour started before. */
async function start(machine: MachineProxy, name: string, options: { hostname?: string; memory?: number; publish?: PortMapping[]; cmd: string[] }): Promise<string> {
  if ((await machine.containers()).some((c) => c.name === name)) await machine.removeContainer(name, true);
  const { id } = await machine.runContainer('busybox', { ...options, name, detach: true });
  const flags = [
    options.hostname ? ` --hostname ${options.hostname}` : '',
    options.memory ? ` --memory ${options.memory >> 20}m` : '',
    ...(options.publish ?? []).map((p) => ` -p ${p.hostPort}:${p.containerPort}`),
  ].join('');
  return `$ glassbox run -d --name ${name}${flags} busybox ${options.cmd.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n${id}\n`;
}

/** The web step: an httpd in a container on the bridge, published on a page port, opened in the ports panel once it answers inside. */
async function webStep(m: MachineProxy, page: TourPage): Promise<string> {
  // A page only this run has (the kernel's random UUID), so what the iframe shows can only come from this container.
  const serve =
    'mkdir -p /www && echo "<h1>served by container $(hostname)</h1><p id=token>$(cat /proc/sys/kernel/random/uuid)</p>" > /www/index.html && exec httpd -f -p 80 -h /www';
  const started = await start(m, WEB, { hostname: WEB, publish: [{ hostIp: '127.0.0.1', hostPort: TOUR_WEB_PORT, containerPort: 80, protocol: 'tcp' }], cmd: ['sh', '-c', serve] });
  const wait = `i=0; until wget -q -O - http://127.0.0.1/; do i=$((i+1)); [ $i -lt ${WEB_READY_MS / 200} ] || { echo "httpd did not answer in ${WEB_READY_MS / 1000} s" >&2; exit 1; }; usleep 200000; done`;
  const inside = await m.execInContainer(WEB, ['sh', '-c', wait]);
  if (inside.exitCode !== 0) throw new Error(`${WEB}'s httpd: ${inside.stderr.trim()}`);
  const address = await m.execInContainer(WEB, ['hostname', '-i']);
  const ports = (await m.containerPorts(WEB)).map((p) => `${p.containerPort}/${p.protocol} -> ports/${p.hostPort}/`);
  page.openPort(TOUR_WEB_PORT);
  return `${started}$ glassbox port ${WEB}\n${ports.join('\n')}\n\n${WEB} has its own address on the bridge: ${address.stdout.trim()}\nits page, fetched inside it:\n${inside.stdout}`;
}

const STEPS: Step[] = [
  {
    id: 'vm',
    title: '1. A VM has its own kernel',
    explain: 'This Linux runs on an emulated i686: its kernel, its page tables (CR3 in the CPU panel), its devices. Nothing is shared with the host.',
    run: (m) => shell(m, 'uname -a; cat /proc/cmdline; grep MemTotal /proc/meminfo'),
    panel: 'cpu',
  },
  {
    id: 'container',
    title: '2. A container shares it',
    explain: `A container is processes with their own namespaces and cgroup, on the same kernel. This runs the busybox image with crun, as glassbox run does; the containers panel shows its namespaces next to the guest's.`,
    run: async (m) => {
      const started = await start(m, BOX, { hostname: BOX, cmd: ['sleep', '3600'] });
      const inside = await m.execInContainer(BOX, ['uname', '-r']);
      return `${started}kernel inside: ${inside.stdout.trim()}, outside: ${(await shell(m, 'uname -r')).trim()}\n`;
    },
    panel: 'containers',
  },
  {
    id: 'namespace',
    title: '3. What a namespace hides',
    explain: `Inside ${BOX}, its own pid namespace makes sleep PID 1 and hides every other process; its uts namespace gives it its own hostname.`,
    run: async (m) => {
      if (!(await m.containers()).some((c) => c.name === BOX && c.status === 'running')) await start(m, BOX, { hostname: BOX, cmd: ['sleep', '3600'] });
      const inside = await m.execInContainer(BOX, ['sh', '-c', 'echo "hostname $(hostname), $(ls -d /proc/[0-9]* | wc -l) processes:"; ps']);
      return `outside: ${(await shell(m, 'echo "hostname $(hostname), $(ls -d /proc/[0-9]* | wc -l) processes"')).trim()}\ninside ${BOX}: ${inside.stdout}`;
    },
    panel: 'containers',
  },
  {
    id: 'oom',
    title: `4. What a cgroup limits: OOM kill at ${OOM_LIMIT_MIB} MiB`,
    explain: `A container with --memory ${OOM_LIMIT_MIB}m runs a shell that grows a string by 512 KiB every second until the kernel's OOM killer ends it: watch its memory climb to the dashed limit, then the container exit, its OOM-kill count rise and its peak stop at the limit.`,
    run: (m) => start(m, HOG, { memory: OOM_LIMIT_MIB << 20, cmd: ['sh', '-c', 'x=; while :; do x=$x$(head -c 524288 /dev/zero | tr "\\0" a); sleep 1; done'] }),
    panel: 'containers',
  },
  {
    id: 'web',
    title: "5. A container's web server, published to this page",
    explain: `A busybox httpd in a container with a network namespace of its own, on a bridge in the guest, run with -p ${TOUR_WEB_PORT}:80: this page reaches it at ports/${TOUR_WEB_PORT}/ (the ports panel opens it) through its Service Worker, the emulated network card and the guest's routing, as a host reaches a port published with docker run -p.`,
    run: webStep,
    panel: 'ports',
  },
];

export class TourPanel {
  readonly root: HTMLElement;
  private readonly output = el('pre', { class: 'tour-output', id: 'tour-output' });

  constructor(
    private readonly machine: MachineProxy,
    private readonly after: (panelId: string) => Promise<void>,
    private readonly page: TourPage,
  ) {
    const steps = STEPS.map((s) => {
      const button = el('button', { 'data-step': s.id }, s.title);
      button.onclick = () => void this.run(s, button);
      return el('div', { class: 'step' }, button, el('p', {}, s.explain));
    });
    this.root = panel('tour', 'Guided tour', ...steps, this.output);
  }

  private async run(step: Step, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    this.output.textContent = `$ ${step.id}: running in the guest…`;
    try {
      this.output.textContent = await step.run(this.machine, this.page);
      await this.after(step.panel);
      const target = document.getElementById(step.panel);
      target?.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      target?.classList.add('pointed');
      setTimeout(() => target?.classList.remove('pointed'), 2500);
    } catch (e) {
      this.output.textContent = `failed: ${(e as Error).message}`;
    } finally {
      button.disabled = false;
    }
  }
}
