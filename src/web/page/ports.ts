// The page's side of guest ports: it registers the Service Worker
// (service-worker/sw.ts), which sends it a MessageChannel for each request
// to ports/PORT/, and hands each channel on to the machine worker, where it
// becomes a TCP connection into the guest.

import { transfer } from 'comlink';
import { OPEN_PORT, type OpenPort } from '../port-messages.ts';
import type { MachineProxy } from './machine-proxy.ts';

/** Registers the Service Worker and relays its connections; resolves once it serves this page, or with why it cannot. */
export async function servePorts(machine: MachineProxy): Promise<{ ok: true } | { ok: false; why: string }> {
  if (!('serviceWorker' in navigator)) return { ok: false, why: 'this browser gives the page no Service Worker (a private window, or a page not on https or localhost)' };
  const workers = navigator.serviceWorker;
  workers.addEventListener('message', (e: MessageEvent<OpenPort>) => {
    if (e.data?.type !== OPEN_PORT) return;
    const { port, channel } = e.data;
    void machine.openPort(port, transfer(channel, [channel]));
  });
  workers.startMessages();
  try {
    await workers.register('sw.js', { scope: './' });
  } catch (e) {
    return { ok: false, why: `the Service Worker did not register: ${(e as Error).message}` };
  }
  // A first visit is served once the new worker claims the page (sw.ts's activate).
  if (!workers.controller) await new Promise((r) => workers.addEventListener('controllerchange', r, { once: true }));
  return { ok: true };
}
