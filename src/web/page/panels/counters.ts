// Counters panel: rates computed from successive snapshots (instructions,
// TLB misses and flushes, exceptions per wall-clock second) with a chart each.

import type { MachineSnapshot } from '../../worker/machine-service.ts';
import { el, panel } from '../dom.ts';
import { Sparkline } from '../sparkline.ts';

const SERIES = [
  { key: 'instructions', label: 'MIPS', scale: 1e-6, color: '#88c0d0' },
  { key: 'tlbMisses', label: 'TLB misses/s', scale: 1, color: '#a3be8c' },
  { key: 'tlbFlushes', label: 'TLB flushes/s', scale: 1, color: '#ebcb8b' },
  { key: 'exceptions', label: 'exceptions/s', scale: 1, color: '#d08770' },
] as const;

export class CountersPanel {
  readonly root: HTMLElement;
  private readonly charts: { spark: Sparkline; value: HTMLElement }[];
  private readonly totals = el('div', { class: 'totals' });
  private prev?: { s: MachineSnapshot; at: number };

  constructor() {
    const rows = SERIES.map((s) => {
      const value = el('span', { class: 'value', 'data-counter': s.key }, '–');
      const canvas = el('canvas', { class: 'spark' });
      return { row: el('div', { class: 'counter' }, el('span', { class: 'label' }, s.label), value, canvas), spark: new Sparkline(canvas, s.color), value };
    });
    this.charts = rows;
    this.root = panel('counters', 'Counters', ...rows.map((r) => r.row), this.totals);
  }

  update(s: MachineSnapshot): void {
    const now = performance.now();
    if (this.prev) {
      const dt = (now - this.prev.at) / 1000;
      SERIES.forEach((series, i) => {
        const rate = ((s[series.key] - this.prev!.s[series.key]) / dt) * series.scale;
        this.charts[i].spark.push(rate);
        this.charts[i].value.textContent = rate >= 100 ? Math.round(rate).toLocaleString('en') : rate.toFixed(1);
      });
    }
    this.prev = { s, at: now };
    this.totals.textContent = `${s.instructions.toLocaleString('en')} instructions · guest time ${(s.guestNs / 1e9).toFixed(2)} s · ${s.power}${s.paused ? ' (paused)' : ''}`;
  }
}
