// MMU panel: type a linear address, see the page-table walk under the
// current CR3 drawn level by level, each entry with its flags, down to the
// physical address (or the not-present entry where the walk stops).

import type { PageWalk } from '../../../machine/page-walk.ts';
import { el, hex, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

export class MmuPanel {
  readonly root: HTMLElement;
  private readonly input = el('input', { id: 'mmu-address', value: 'eip', spellcheck: 'false', title: 'a hex address, or eip / esp' });
  private readonly steps = el('div', { class: 'walk', id: 'mmu-walk' });

  constructor(private readonly machine: MachineProxy) {
    const button = el('button', { id: 'mmu-walk-button' }, 'Walk');
    const form = el('form', { class: 'controls' }, el('label', {}, 'linear address '), this.input, button);
    form.onsubmit = (e) => {
      e.preventDefault();
      void this.walk();
    };
    this.root = panel('mmu', 'MMU walk', form, this.steps);
  }

  private async address(): Promise<number> {
    const text = this.input.value.trim().toLowerCase();
    if (text === 'eip' || text === 'esp') {
      const s = await this.machine.snapshot();
      return text === 'eip' ? s.eip : s.registers.esp;
    }
    const n = Number(text.startsWith('0x') ? text : '0x' + text);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`"${this.input.value}" is not a 32-bit hex address`);
    return n;
  }

  async walk(): Promise<void> {
    this.steps.replaceChildren();
    let w: PageWalk;
    try {
      w = await this.machine.walk(await this.address());
    } catch (e) {
      this.steps.append(el('div', { class: 'error' }, String((e as Error).message)));
      return;
    }
    const boxes: HTMLElement[] = [el('div', { class: 'level' }, el('b', {}, `CR3 ${hex(w.cr3)}`), ` ${w.mode} paging, walking ${hex(w.linear)}`)];
    for (const s of w.steps) {
      const flags = [s.present ? 'P' : 'not present', s.writable ? 'W' : 'R/O', s.user ? 'U' : 'S', s.large ? 'large page' : ''].filter(Boolean).join(' ');
      boxes.push(el('div', { class: 'level' + (s.present ? '' : ' missing') }, el('b', {}, `${s.level}[${s.index}]`), ` at ${hex(s.entryAddress)} = ${s.entry}`, el('span', { class: 'flags' }, flags)));
    }
    boxes.push(
      w.physical === null
        ? el('div', { class: 'level missing result' }, 'page fault: no mapping')
        : el('div', { class: 'level result', 'data-physical': String(w.physical) }, el('b', {}, `physical ${hex(w.physical)}`), ` (${w.pageSize / 1024} KiB page)`),
    );
    // One level at a time, as the MMU reads them.
    for (const b of boxes) {
      this.steps.append(b);
      await new Promise((r) => setTimeout(r, 120));
    }
  }
}
