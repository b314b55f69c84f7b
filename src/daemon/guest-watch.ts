// The engine's guest can die under it: its kernel panics, or the machine
// resets or powers off (a triple fault, the guest's init told to reboot or
// halt). A reset boots a fresh guest without the engine's disk, network and
// containers, and a panicked guest answers nothing, so every request would
// wait for its deadline or act on the wrong guest. The watch tells the
// engine once, with the kernel's own words when it left any.

import type { Machine } from '../api/index.ts';
import { KernelLogWatch } from '../testing/kernel-log.ts';

/** Calls `died` once, with why, when the guest panics, resets or powers off. */
export function watchGuest(machine: Machine, died: (why: string) => void): void {
  const watch = new KernelLogWatch();
  const decoder = new TextDecoder();
  let told = false;
  const tell = (why: string) => {
    if (told) return;
    told = true;
    died(why);
  };
  machine.serial.on('data', (bytes) => {
    // Oopses and BUGs end a task and the kernel goes on: only a panic stops it.
    const crash = watch.feed(decoder.decode(bytes, { stream: true }));
    if (crash?.kind === 'panic') tell(`its kernel panicked (${crash.headline})`);
  });
  machine.on('power', (state) => {
    if (state === 'reset') tell("the machine was reset, which starts a fresh guest without the engine's disk and containers");
    if (state === 'off') tell('the guest powered the machine off');
  });
}
