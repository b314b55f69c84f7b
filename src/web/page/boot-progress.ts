// The boot progress indicator: each stage is entered on a real signal, the
// download's byte count or a line the guest prints on its console.

export const STAGES = [
  { id: 'download', label: 'Loading images' },
  { id: 'decompress', label: 'Decompressing kernel', marker: 'Decompressing Linux' },
  { id: 'kernel', label: 'Booting kernel', marker: 'Booting the kernel' },
  { id: 'init', label: 'Running /init', marker: 'Run /init' },
  { id: 'shell', label: 'Shell ready', marker: '/ # ' },
] as const;

export class BootProgress {
  private stage = 0;
  private seen = '';
  private readonly items: HTMLElement[];
  private readonly detail: HTMLElement;
  private readonly started = performance.now();
  /** Wall-clock milliseconds from page start to the shell prompt, once it appeared. */
  shellAfterMs?: number;

  constructor(private readonly root: HTMLElement) {
    root.replaceChildren();
    this.items = STAGES.map((s) => {
      const li = document.createElement('li');
      li.textContent = s.label;
      root.append(li);
      return li;
    });
    this.detail = document.createElement('span');
    this.detail.className = 'detail';
    this.items[0].append(this.detail);
    this.show();
  }

  download(loaded: number, total: number): void {
    const mib = (n: number) => (n / 1048576).toFixed(1);
    this.detail.textContent = ` ${mib(loaded)} / ${mib(total)} MiB`;
  }

  /** Feeds console text; moves to the stage whose marker appears. */
  console(text: string): void {
    if (this.stage >= STAGES.length - 1) return;
    this.seen = (this.seen + text).slice(-4096);
    for (let i = STAGES.length - 1; i > this.stage; i--) {
      const marker = (STAGES[i] as { marker?: string }).marker;
      if (marker && this.seen.includes(marker)) {
        this.enter(i);
        break;
      }
    }
  }

  /** Moves on to stage `i` (never back: the console may already have shown a later one). */
  enter(i: number): void {
    if (i <= this.stage) return;
    this.stage = i;
    if (i === STAGES.length - 1) {
      this.shellAfterMs = performance.now() - this.started;
      this.root.dataset.done = 'true';
      this.root.dataset.ms = String(Math.round(this.shellAfterMs));
    }
    this.show();
  }

  private show(): void {
    this.items.forEach((li, i) => (li.className = i < this.stage ? 'done' : i === this.stage ? 'active' : ''));
    if (this.stage === STAGES.length - 1) this.items[this.stage].className = 'done';
  }
}
