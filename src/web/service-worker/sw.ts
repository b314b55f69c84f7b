// The page's Service Worker: a request for ports/PORT/PATH under the page's
// directory (from the page, or from an iframe showing a guest's site) becomes
// an HTTP/1.1 request over a TCP connection to the guest's port PORT, and
// the guest server's response (status, fields, body as it streams, with
// backpressure: relay.ts) becomes the answer. The connection is a MessageChannel the page hands on to its
// machine worker (port-messages.ts), where the user-mode network opens it
// into the guest. Every other request goes to the network as usual.

import { OPEN_PORT, portTarget, type OpenPort } from '../port-messages.ts';
import { problem, relayRequest } from './relay.ts';

// The Service Worker global's few members used here (the project's TypeScript lib is the DOM's, not the WebWorker one).
interface WindowClient {
  url: string;
  postMessage(message: OpenPort, transfer: Transferable[]): void;
}
interface FetchEvent extends Event {
  request: Request;
  clientId: string;
  respondWith(response: Promise<Response>): void;
  waitUntil(done: Promise<unknown>): void;
}
interface ServiceWorkerScope {
  registration: { scope: string };
  clients: {
    get(id: string): Promise<WindowClient | undefined>;
    /** Window clients, the most recently focused first. */
    matchAll(options: { type: 'window' }): Promise<WindowClient[]>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (e: FetchEvent) => void): void;
  addEventListener(type: 'fetch', listener: (e: FetchEvent) => void): void;
}
const sw = self as unknown as ServiceWorkerScope;

// A new version serves at once, and the page that registered it is served without a reload.
sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (event) => {
  const where = portTarget(event.request.url, sw.registration.scope);
  if (where) event.respondWith(forward(event, where.port, where.target));
});

/**
 * The page whose guest serves the port: the requesting page itself when it
 * runs one, else (a request from a guest's site in an iframe, or its
 * navigation) the most recently focused glassbox page.
 */
async function machinePage(event: FetchEvent): Promise<WindowClient | undefined> {
  const runsGuest = (c: WindowClient) => portTarget(c.url, sw.registration.scope) === null;
  const own = event.clientId ? await sw.clients.get(event.clientId) : undefined;
  if (own && runsGuest(own)) return own;
  return (await sw.clients.matchAll({ type: 'window' })).find(runsGuest);
}

async function forward(event: FetchEvent, port: number, target: string): Promise<Response> {
  const page = await machinePage(event);
  if (!page) return problem(503, `no glassbox page is open to reach the guest's port ${port}`);
  const req = event.request;
  // The body's length is not among a Service Worker's request fields; as a Blob the browser keeps it (spilling a large one
  // to disk), and it streams from there with backpressure (relay.ts), never whole in this worker's memory.
  const blob = req.method === 'GET' || req.method === 'HEAD' ? null : await req.blob();
  const body = blob && { size: blob.size, stream: blob.stream() };
  const { port1: channel, port2 } = new MessageChannel();
  page.postMessage({ type: OPEN_PORT, port, channel: port2 }, [port2]);
  return relayRequest(channel, port, { method: req.method, target, host: `localhost:${port}`, headers: [...req.headers] }, body);
}
