// MMU panel: type a linear address, see the MMU view's page-table walk
// (src/inspect/mmu.ts) under the current CR3 drawn level by level, each entry
// with its flags, down to the physical address, and the #PF the chosen access
// (read or write, kernel or user) would raise; under the current CR3 or any
// address space the CPU loaded recently (the MMU view's CR3 table).

import type { MmuWalk } from '../../../inspect/mmu.ts';
import { el, hex, panel } from '../dom.ts';
import type { MachineProxy } from '../machine-proxy.ts';

export class MmuPanel {
  readonly root: HTMLElement;
  private readonly input = el('input', { id: 'mmu-address', value: 'eip', spellcheck: 'false', title: 'a hex address, or eip / esp' });
  private readonly steps = el('div', { class: 'walk', id: 'mmu-walk' });
  private readonly write = el('input', { type: 'checkbox', id: 'mmu-write' });
  private readonly user = el('input', { type: 'checkbox', id: 'mmu-user' });
  /** The address space to walk in: a CR3 value, or none for the current one. */
  private cr3: number | undefined;
  private readonly spaces = el('div', { class: 'spaces', id: 'mmu-spaces' });

  constructor(private readonly machine: MachineProxy) {
    const button = el('button', { id: 'mmu-walk-button' }, 'Walk');
    const form = el(
      'form',
      { class: 'controls' },
      el('label', {}, 'linear address '),
      this.input,
      el('label', {}, this.write, ' write'),
      el('label', {}, this.user, ' from user mode'),
      button,
    );
    form.onsubmit = (e) => {
      e.preventDefault();
      void this.walk();
    };
    const list = el('button', { id: 'mmu-spaces-button', type: 'button' }, 'Address spaces');
    list.onclick = () => void this.listSpaces();
    this.root = panel('mmu', 'MMU walk', form, el('div', { class: 'controls' }, list, this.spaces), this.steps);
  }

  /** The address spaces loaded recently, most used first; choosing one walks the address in it. */
  async listSpaces(): Promise<void> {
    const spaces = (await this.machine.addressSpaces()).slice(0, 8);
    const choose = (cr3: number | undefined) => {
      this.cr3 = cr3;
      void this.listSpaces().then(() => this.walk());
    };
    const current = el('button', { type: 'button', class: this.cr3 === undefined ? 'chosen' : '' }, 'current');
    current.onclick = () => choose(undefined);
    this.spaces.replaceChildren(
      current,
      ...spaces.map((s) => {
        const b = el(
          'button',
          { type: 'button', 'data-cr3': String(s.cr3), class: s.cr3 === this.cr3 ? 'chosen' : '', title: `${s.loads} loads` },
          hex(s.cr3) + (s.current ? ' (now)' : ''),
        );
        b.onclick = () => choose(s.cr3);
        return b;
      }),
    );
  }

  private async address(): Promise<number> {
    const text = this.input.value.trim().toLowerCase();
    if (text === 'eip' || text === 'esp') {
      const { cpu } = await this.machine.snapshot();
      const cs = cpu.segments.find((x) => x.name === 'cs')!;
      return text === 'eip' ? (cs.base + cpu.eip) >>> 0 : cpu.registers.esp;
    }
    const n = Number(text.startsWith('0x') ? text : '0x' + text);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`"${this.input.value}" is not a 32-bit hex address`);
    return n;
  }

  async walk(): Promise<void> {
    this.steps.replaceChildren();
    let w: MmuWalk;
    try {
      w = await this.machine.walk(await this.address(), { write: this.write.checked, user: this.user.checked }, this.cr3);
    } catch (e) {
      this.steps.append(el('div', { class: 'error' }, String((e as Error).message)));
      return;
    }
    const boxes: HTMLElement[] = [el('div', { class: 'level' }, el('b', {}, `CR3 ${hex(w.cr3)}`), ` ${w.mode} paging, walking ${hex(w.linear)}`)];
    for (const s of w.steps) {
      const flags = [s.present ? 'P' : 'not present', s.writable ? 'W' : 'R/O', s.user ? 'U' : 'S', s.large ? 'large page' : ''].filter(Boolean).join(' ');
      boxes.push(
        el(
          'div',
          { class: 'level' + (s.present ? '' : ' missing') },
          el('b', {}, `${s.level}[${s.index}]`),
          ` at ${hex(s.entryAddress)} = ${s.entry}`,
          el('span', { class: 'flags' }, flags),
        ),
      );
    }
    if (w.physical !== null) {
      boxes.push(el('div', { class: 'level result', 'data-physical': String(w.physical) }, el('b', {}, `physical ${hex(w.physical)}`), ` (${w.pageSize / 1024} KiB page)`));
    }
    if (w.fault)
      boxes.push(el('div', { class: 'level missing', 'data-fault': String(w.fault.errorCode) }, el('b', {}, `#PF error code ${w.fault.errorCode}`), `: ${w.fault.reason}`));
    // One level at a time, as the MMU reads them.
    for (const b of boxes) {
      this.steps.append(b);
      await new Promise((r) => setTimeout(r, 120));
    }
  }
}
