// The page's Service Worker: a request for ports/PORT/PATH under the page's
// directory (from the page, or from an iframe showing a guest's site) becomes
// an HTTP/1.1 request over a TCP connection to the guest's port PORT, and
// the guest server's response (status, fields, body as it streams) becomes
// the answer. The connection is a MessageChannel the page hands on to its
// machine worker (port-messages.ts), where the user-mode network opens it
// into the guest. Every other request goes to the network as usual.

import { OPEN_PORT, portTarget, type FromGuest, type OpenPort, type ToGuest } from '../port-messages.ts';
import { encodeRequest, HttpError, ResponseParser } from './http1.ts';

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

/** How long the guest's server may take to begin its response. */
const HEAD_MS = 60_000;

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

function problem(status: number, text: string): Response {
  return new Response(`glassbox: ${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

async function forward(event: FetchEvent, port: number, target: string): Promise<Response> {
  const page = await machinePage(event);
  if (!page) return problem(503, `no glassbox page is open to reach the guest's port ${port}`);
  const req = event.request;
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : new Uint8Array(await req.arrayBuffer());
  const { port1: channel, port2 } = new MessageChannel();
  page.postMessage({ type: OPEN_PORT, port, channel: port2 }, [port2]);
  const send = (m: ToGuest) => channel.postMessage(m);
  send({ data: encodeRequest({ method: req.method, target, host: `localhost:${port}`, headers: [...req.headers] }, body) });

  return new Promise<Response>((resolve) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    let answered = false;
    const late = setTimeout(() => fail(`the guest's port ${port} sent no response within ${HEAD_MS / 1000} s`, 504), HEAD_MS);
    const finish = () => {
      clearTimeout(late);
      channel.onmessage = null;
      channel.close();
    };
    /** Before the head: an error response; after it, the body stream breaks. */
    const fail = (why: string, status = 502) => {
      send({ abort: true });
      finish();
      if (!answered) resolve(problem(status, why));
      else stream?.error(new Error(why));
      answered = true;
    };
    const parser = new ResponseParser(req.method, {
      head(head) {
        clearTimeout(late);
        if (head.status > 599) return fail(`the guest's server answered with status ${head.status}`);
        const headers = new Headers();
        for (const [name, value] of head.headers) {
          try {
            headers.append(name, value);
          } catch {
            // a field the browser refuses (a malformed name or value) is left out
          }
        }
        const nullBody = req.method === 'HEAD' || head.status === 204 || head.status === 304;
        const bodyStream = nullBody
          ? null
          : new ReadableStream<Uint8Array>({
              start: (c) => void (stream = c),
              // The reader went away (an iframe navigated elsewhere): the connection goes too.
              cancel: () => {
                stream = null;
                send({ abort: true });
                finish();
              },
            });
        answered = true;
        resolve(new Response(bodyStream, { status: head.status, statusText: head.statusText, headers }));
      },
      body: (bytes) => stream?.enqueue(bytes.slice()),
      done() {
        stream?.close();
        // Our side ends too: the guest's server has closed, or closes on our FIN.
        send({ end: true });
        finish();
      },
    });
    channel.onmessage = (e: MessageEvent<FromGuest>) => {
      const m = e.data;
      try {
        if ('data' in m) parser.push(m.data);
        else if ('end' in m) parser.end();
        else fail(m.abort);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        fail(`the guest's port ${port} did not answer in HTTP/1.x: ${err.message}`);
      }
    };
  });
}
