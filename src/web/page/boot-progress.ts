// The boot progress indicator: each stage is entered on a real signal, the
// download's byte count or a line the guest prints on its console.

import { mark } from '../timeline.ts';

interface Stage {
  id: string;
  label: string;
  /** Console text that shows the stage has begun. */
  marker?: string;
}

/** A boot from the kernel's first instruction. */
export const STAGES: readonly Stage[] = [
  { id: 'download', label: 'Loading images' },
  { id: 'decompress', label: 'Decompressing kernel', marker: 'Decompressing Linux' },
  { id: 'kernel', label: 'Booting kernel', marker: 'Booting the kernel' },
  { id: 'init', label: 'Running /init', marker: 'Run /init' },
  { id: 'shell', label: 'Shell ready', marker: '/ # ' },
];

/** A resume from the shipped snapshot of the booted guest: the shell answers the line the page types. */
export const SNAPSHOT_STAGES: readonly Stage[] = [
  { id: 'download', label: 'Loading the booted machine' },
  { id: 'restore', label: 'Resuming it' },
  { id: 'shell', label: 'Shell ready', marker: '/ # ' },
];

export class BootProgress {
  private stage = 0;
  private seen = '';
  private items: HTMLElement[] = [];
  private readonly detail = document.createElement('span');
  /** Wall-clock milliseconds from page start (the navigation, as bench:web's v86 page counts) to the shell prompt, once it appeared. */
  shellAfterMs?: number;
  /** Resolves when the shell prompt appears. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly root: HTMLElement,
    private stages: readonly Stage[] = STAGES,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.detail.className = 'detail';
    this.restart(stages);
  }

  /** Starts over with other stages (a resume that fell back to a boot); the clock keeps running from page start. */
  restart(stages: readonly Stage[]): void {
    this.stages = stages;
    this.stage = 0;
    this.seen = '';
    this.root.replaceChildren();
    this.root.dataset.mode = stages === SNAPSHOT_STAGES ? 'snapshot' : 'boot';
    this.items = stages.map((s) => {
      const li = document.createElement('li');
      li.textContent = s.label;
      this.root.append(li);
      return li;
    });
    this.items[0]!.append(this.detail);
    this.show();
  }

  /** A note on the current stage (why a resume fell back to a boot, say). */
  note(text: string): void {
    this.detail.textContent = ` ${text}`;
  }

  download(loaded: number, total: number): void {
    const mib = (n: number) => (n / 1048576).toFixed(1);
    this.detail.textContent = ` ${mib(loaded)} / ${mib(total)} MiB`;
  }

  /** Feeds console text; moves to the stage whose marker appears. */
  console(text: string): void {
    if (this.stage >= this.stages.length - 1) return;
    this.seen = (this.seen + text).slice(-4096);
    for (let i = this.stages.length - 1; i > this.stage; i--) {
      const marker = this.stages[i]!.marker;
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
    if (i === this.stages.length - 1) {
      this.shellAfterMs = performance.now();
      this.root.dataset.done = 'true';
      this.root.dataset.ms = String(Math.round(this.shellAfterMs));
      mark('prompt');
      this.resolveDone();
    }
    this.show();
  }

  private show(): void {
    this.items.forEach((li, i) => (li.className = i < this.stage ? 'done' : i === this.stage ? 'active' : ''));
    if (this.stage === this.stages.length - 1) this.items[this.stage]!.className = 'done';
  }
}
