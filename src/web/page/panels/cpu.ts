// CPU panel: the CPU view (src/inspect/cpu.ts) the CLI prints: registers,
// mode, control registers, flags, the disassembly from CS:EIP, and the
// pause/step/resume controls.

import type { CodeLine } from '../../../inspect/cpu.ts';
import type { MachineSnapshot } from '../../worker/machine-service.ts';
import { el, hex, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

export class CpuPanel {
  readonly root: HTMLElement;
  private readonly regs = el('pre', { class: 'regs' });
  private readonly disasm = el('pre', { class: 'disasm' });
  private readonly pauseButton = el('button', { id: 'pause' }, 'Pause');
  private readonly stepButton = el('button', { id: 'step', disabled: '' }, 'Step');
  private paused = false;

  constructor(
    private readonly machine: MachineProxy,
    private readonly show: (s: MachineSnapshot) => void,
  ) {
    this.root = panel('cpu', 'CPU', el('div', { class: 'controls' }, this.pauseButton, this.stepButton), this.regs, this.disasm);
    this.pauseButton.onclick = () => void this.togglePause();
    this.stepButton.onclick = () => void this.machine.step(1).then(this.show);
  }

  private async togglePause(): Promise<void> {
    await (this.paused ? this.machine.resume() : this.machine.pause());
    this.show(await this.machine.snapshot());
  }

  update(s: MachineSnapshot): void {
    this.paused = s.paused;
    this.pauseButton.textContent = s.paused ? 'Resume' : 'Pause';
    this.stepButton.toggleAttribute('disabled', !s.paused);
    const { registers: r, segments, cr, eflags } = s.cpu;
    const seg = (name: string) => hex(segments.find((x) => x.name === name)?.selector ?? 0, 4);
    this.regs.textContent = [
      `eax ${hex(r.eax)}  ebx ${hex(r.ebx)}  ecx ${hex(r.ecx)}  edx ${hex(r.edx)}`,
      `esi ${hex(r.esi)}  edi ${hex(r.edi)}  ebp ${hex(r.ebp)}  esp ${hex(r.esp)}`,
      `eip ${hex(s.cpu.eip)}  cpl ${s.cpu.cpl}  cs ${seg('cs')}  ss ${seg('ss')}  ${s.cpu.mode}${s.cpu.paging ? ', paging' : ''}${s.cpu.halted ? ', halted' : ''}`,
      `cr0 ${hex(cr.cr0)}  cr3 ${hex(cr.cr3)}  cr4 ${hex(cr.cr4)}  cr2 ${hex(cr.cr2)}`,
      `eflags ${hex(eflags.value)}  ${eflags.set.join(' ')}  iopl ${eflags.iopl}`,
    ].join('\n');
    // the lines before EIP are reconstructed (src/inspect/cpu.ts), so they are marked apart
    const line = (mark: string, l: CodeLine) => `${mark} ${hex(l.address)}  ${l.bytes.replace(/(..)(?!$)/g, '$1 ').padEnd(24)} ${l.text}`;
    this.disasm.textContent = [...s.cpu.codeBefore.map((l) => line('·', l)), ...s.cpu.code.map((l, i) => line(i === 0 ? '▶' : ' ', l))].join('\n');
  }
}
