// The guided tour: each step runs the real thing in the guest (a shell
// command through the agent, or a container from the engine in the worker),
// shows what it printed, and points at the panel that shows the effect.

import { el, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

interface Step {
  id: string;
  title: string;
  explain: string;
  /** Does the step in the guest and returns what to print. */
  run(machine: MachineProxy): Promise<string>;
  panel: string;
}

const OOM_LIMIT_MIB = 8;
const BOX = 'tour-box';
const HOG = 'tour-oom';

/** Output of a shell command, with its status when it failed. */
const shell = async (machine: MachineProxy, command: string) => {
  const r = await machine.exec(command, 60_000);
  return r.stdout + r.stderr + (r.exitCode ? `(exit ${r.exitCode})\n` : '');
};

/** Starts a detached busybox container named `name`, replacing one the tour started before. */
async function start(machine: MachineProxy, name: string, options: { hostname?: string; memory?: number; cmd: string[] }): Promise<string> {
  if ((await machine.containers()).some((c) => c.name === name)) await machine.removeContainer(name, true);
  const { id } = await machine.runContainer('busybox', { ...options, name, detach: true });
  return `$ glassbox run -d --name ${name}${options.hostname ? ` --hostname ${options.hostname}` : ''}${options.memory ? ` --memory ${options.memory >> 20}m` : ''} busybox ${options.cmd.join(' ')}\n${id}\n`;
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
];

export class TourPanel {
  readonly root: HTMLElement;
  private readonly output = el('pre', { class: 'tour-output', id: 'tour-output' });

  constructor(
    private readonly machine: MachineProxy,
    private readonly after: (panelId: string) => Promise<void>,
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
      this.output.textContent = await step.run(this.machine);
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
