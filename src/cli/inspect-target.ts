// The machine `glassbox inspect` looks at: the running engine's guest by
// default (through its socket), or a guest booted for this command when no
// engine runs or --fresh asks for one. Both answer through the same
// functions (src/inspect/views.ts), so the output does not depend on which.

import { Machine } from '../api/index.ts';
import { glassboxHome } from '../home.ts';
import { callEngine, engineRunning, EngineControl } from '../daemon/client.ts';
import { PID_NAME, SOCKET_NAME, type EngineRequest, type TraceMessage } from '../daemon/protocol.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineShell } from '../containers/engine/guest-shell.ts';
import { answerView, recordTrace, runInGuest, type InspectTarget, type TraceRequest, type ViewRequest } from '../inspect/views.ts';
import { ControlSession, type ControlCommand, type ControlStop } from '../inspect/control-session.ts';
import type { TraceListener } from '../inspect/trace-follow.ts';

export interface TargetOptions {
  /** Boot a guest for this command even if an engine runs. */
  fresh?: boolean;
  /** Only the engine's guest: fail if no engine runs. */
  engine?: boolean;
  memory: number;
}

export interface Control {
  do(cmd: ControlCommand): Promise<ControlStop>;
  close(): void;
}

export interface Inspectee {
  /** Which machine this is, in words. */
  description: string;
  view(req: ViewRequest, run?: string): Promise<unknown>;
  /** Follows until this process ends (Ctrl-C). */
  trace(req: TraceRequest, listener: TraceListener): Promise<void>;
  /** Pauses the machine until the returned control is closed. */
  control(): Promise<{ control: Control; stop: ControlStop }>;
  /** Container details, which only the engine has. */
  container(name: string): Promise<unknown>;
  close(): void;
}

function engineTarget(home: string, pid: string): Inspectee {
  const call = (req: EngineRequest, onTrace?: (msg: TraceMessage) => void) => callEngine(home, req, { start: false, onTrace });
  return {
    description: `the engine's guest (engine pid ${pid}, socket ${join(home, SOCKET_NAME)})`,
    view: (request, run) => call({ op: 'view', request, run }),
    trace: async (request, listener) => void (await call({ op: 'trace', request }, (m) => listener(m.events, m.lost))),
    control: () => EngineControl.open(home),
    container: (container) => call({ op: 'inspect', container }),
    close: () => {},
  };
}

async function freshTarget(memoryMiB: number): Promise<Inspectee> {
  const machine = await Machine.create({ memoryMiB });
  machine.start();
  await machine.agentReady();
  const t: InspectTarget = { machine, shell: machineShell(machine) };
  return {
    description: 'a guest booted for this command (virtual clock, no container engine)',
    async view(req, run) {
      if (run) await runInGuest(t.shell, run);
      return answerView(t, req);
    },
    trace: (req, listener) => recordTrace(t, req, listener, new Promise(() => {})),
    async control() {
      const session = new ControlSession(machine);
      return { control: session, stop: await session.do({ cmd: 'cpu' }) };
    },
    container: () =>
      Promise.reject(
        new Error(
          "a guest booted for this command has no containers; containers live in the engine's guest (start it with a container command, e.g. glassbox run -d busybox sleep 1000)",
        ),
      ),
    close: () => machine.stop(),
  };
}

/** The engine's guest if one runs (unless --fresh), else a guest booted now (unless --engine); says which on stderr. */
export async function openInspectee(o: TargetOptions): Promise<Inspectee> {
  const home = glassboxHome();
  if (o.fresh && o.engine) throw new Error('--fresh and --engine exclude each other');
  let target: Inspectee | undefined;
  if (!o.fresh && (await engineRunning(home))) {
    target = engineTarget(home, readFileSync(join(home, PID_NAME), 'utf8').trim());
  } else if (o.engine) {
    throw new Error(
      `no engine is running in ${home}; a container command starts one (e.g. glassbox run -d busybox sleep 1000), or leave out --engine to boot a guest for this command`,
    );
  } else {
    try {
      target = await freshTarget(o.memory);
    } catch (e) {
      const why = o.fresh ? '' : `no engine is running in ${home}, and `;
      throw new Error(`${why}booting a guest for this command failed: ${(e as Error).message}`);
    }
  }
  process.stderr.write(`glassbox: inspecting ${target.description}\n`);
  return target;
}
