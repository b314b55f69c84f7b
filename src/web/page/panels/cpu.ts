// CPU panel: registers, control registers and flags, the disassembly at
// CS:EIP, and the pause/step/resume controls.

import type { MachineSnapshot } from '../../worker/machine-service.ts';
import { el, hex, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

const FLAGS: [number, string][] = [[0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF']];

export class CpuPanel {
  readonly root: HTMLElement;
  private readonly regs = el('pre', { class: 'regs' });
  private readonly disasm = el('pre', { class: 'disasm' });
  private readonly pauseButton = el('button', { id: 'pause' }, 'Pause');
  private readonly stepButton = el('button', { id: 'step', disabled: '' }, 'Step');

  constructor(private readonly machine: MachineProxy, private readonly onChange: () => void) {
    this.root = panel('cpu', 'CPU', el('div', { class: 'controls' }, this.pauseButton, this.stepButton), this.regs, this.disasm);
    this.pauseButton.onclick = () => void this.togglePause();
    this.stepButton.onclick = () => void this.machine.step(1).then(() => this.onChange());
  }

  private async togglePause(): Promise<void> {
    const paused = (await this.machine.snapshot()).paused;
    await (paused ? this.machine.resume() : this.machine.pause());
    this.onChange();
  }

  async update(s: MachineSnapshot): Promise<void> {
    this.pauseButton.textContent = s.paused ? 'Resume' : 'Pause';
    this.stepButton.toggleAttribute('disabled', !s.paused);
    const r = s.registers;
    const flags = FLAGS.filter(([bit]) => s.eflags & (1 << bit)).map(([, n]) => n).join(' ');
    this.regs.textContent = [
      `eax ${hex(r.eax)}  ebx ${hex(r.ebx)}  ecx ${hex(r.ecx)}  edx ${hex(r.edx)}`,
      `esi ${hex(r.esi)}  edi ${hex(r.edi)}  ebp ${hex(r.ebp)}  esp ${hex(r.esp)}`,
      `eip ${hex(s.eip)}  cpl ${s.cpl}  cs ${hex(s.segments.cs, 4)}  ss ${hex(s.segments.ss, 4)}`,
      `cr0 ${hex(s.cr.cr0)}  cr3 ${hex(s.cr.cr3)}  cr4 ${hex(s.cr.cr4)}  cr2 ${hex(s.cr.cr2)}`,
      `eflags ${hex(s.eflags)}  ${flags}`,
    ].join('\n');
    const lines = await this.machine.disassemble(10);
    this.disasm.textContent = lines.map((l, i) => `${i === 0 ? '▶' : ' '} ${hex(l.address)}  ${l.bytes.padEnd(24)} ${l.text}`).join('\n');
  }
}
