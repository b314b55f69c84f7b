// Counters panel: the counters view (src/inspect/counters.ts), as rates per
// second of guest time between successive samples (counterRates, as the CLI
// computes them), each with a chart.

import { counterRates, type CountersView } from '../../../inspect/counters.ts';
import { el, panel } from '../dom.ts';
import { Sparkline } from '../sparkline.ts';

const SERIES = [
  { key: 'instructions', label: 'MIPS', scale: 1e-6, color: '#88c0d0' },
  { key: 'syscalls', label: 'syscalls/s', scale: 1, color: '#b48ead' },
  { key: 'pageFaults', label: 'page faults/s', scale: 1, color: '#d08770' },
  { key: 'tlbMisses', label: 'TLB misses/s', scale: 1, color: '#a3be8c' },
  { key: 'cr3Loads', label: 'CR3 loads/s', scale: 1, color: '#ebcb8b' },
] as const;

export class CountersPanel {
  readonly root: HTMLElement;
  private readonly charts: { spark: Sparkline; value: HTMLElement }[];
  private readonly totals = el('div', { class: 'totals' });
  private prev?: CountersView;

  constructor() {
    const rows = SERIES.map((s) => {
      const value = el('span', { class: 'value', 'data-counter': s.key }, '–');
      const canvas = el('canvas', { class: 'spark' });
      return { row: el('div', { class: 'counter' }, el('span', { class: 'label' }, s.label), value, canvas), spark: new Sparkline(canvas, s.color), value };
    });
    this.charts = rows;
    this.root = panel('counters', 'Counters (per guest second)', ...rows.map((r) => r.row), this.totals);
  }

  update(c: CountersView, power: string, paused: boolean): void {
    const rates = this.prev ? counterRates(c, this.prev) : {};
    SERIES.forEach((series, i) => {
      const rate = rates[series.key];
      if (rate === undefined) return;
      this.charts[i].spark.push(rate * series.scale);
      this.charts[i].value.textContent = rate * series.scale >= 100 ? Math.round(rate * series.scale).toLocaleString('en') : (rate * series.scale).toFixed(1);
    });
    if (rates.instructions !== undefined || !this.prev) this.prev = c;
    const syscalls = c.syscalls.int80 + c.syscalls.sysenter;
    this.totals.textContent = `${c.instructions.toLocaleString('en')} instructions · ${syscalls.toLocaleString('en')} system calls · ${c.pageFaults.toLocaleString('en')} page faults · guest time ${(c.guestNs / 1e9).toFixed(2)} s · ${power}${paused ? ' (paused)' : ''}`;
  }
}
