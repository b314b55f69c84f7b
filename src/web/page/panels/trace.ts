// Trace panel: choose event kinds, then follow the core's event ring (system
// calls, exceptions, IRQs, port I/O, CR3 loads, mode switches) as it fills.

import { TRACE_KINDS, type TraceKind } from '../../../inspect/trace.ts';
import { el, hex, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

const SHOWN = 60;

export class TracePanel {
  readonly root: HTMLElement;
  private readonly boxes = new Map<TraceKind, HTMLInputElement>();
  private readonly list = el('pre', { class: 'trace', id: 'trace-list' });
  private readonly status = el('span', { class: 'hint' }, 'off');
  private cursor = 0;
  private lines: string[] = [];

  constructor(private readonly machine: MachineProxy) {
    const kinds = TRACE_KINDS.map((k) => {
      const box = el('input', { type: 'checkbox', 'data-kind': k });
      box.onchange = () => void this.apply();
      this.boxes.set(k, box);
      return el('label', {}, box, ` ${k} `);
    });
    this.root = panel('trace', 'Trace', el('div', { class: 'controls' }, ...kinds, this.status), this.list);
  }

  private async apply(): Promise<void> {
    const kinds = [...this.boxes].filter(([, b]) => b.checked).map(([k]) => k);
    await this.machine.traceKinds(kinds);
    this.cursor = (await this.machine.trace(Number.MAX_SAFE_INTEGER, 0)).cursor;
    this.status.textContent = kinds.length ? 'recording' : 'off';
  }

  async refresh(): Promise<void> {
    if (![...this.boxes.values()].some((b) => b.checked)) return;
    const batch = await this.machine.trace(this.cursor, SHOWN);
    this.cursor = batch.cursor;
    if (batch.lost) this.lines.push(`… ${batch.lost.toLocaleString('en')} events overwritten before they were read`);
    for (const e of batch.events) this.lines.push(`${e.instructions.toString().padStart(12)}  ${hex(e.eip)}  ${e.kind.padEnd(9)} ${e.text}`);
    this.lines = this.lines.slice(-SHOWN);
    this.list.textContent = this.lines.join('\n');
    this.list.scrollTop = this.list.scrollHeight;
  }
}
