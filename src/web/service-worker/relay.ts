// One request to a guest port, the Service Worker's side of its channel
// (port-messages.ts): the request written out as HTTP/1.1, and the guest
// server's response (status, fields, body as it streams) made a Response.
// The body streams with backpressure: the guest's bytes wait in this end's
// inbox until the page's reader has room for what they carry (the body
// stream's queue below BODY_QUEUE), and only then are they parsed and
// credited back to the worker, which holds the guest's TCP once it is
// RELAY_WINDOW ahead. So a response of any size is held here and in the
// worker to a bound, whatever the reader's pace. A request's body streams
// the other way the same: read from its stream only while less than
// RELAY_WINDOW of it waits for the guest's side to take it.

import { RELAY_WINDOW, type FromGuest, type ToGuest } from '../port-messages.ts';
import { encodeRequestHead, HttpError, ResponseParser, type RequestHead } from './http1.ts';

/** How long the guest's server may take to begin its response. */
const HEAD_MS = 60_000;
/** Body bytes queued for the page's reader before this end stops taking the guest's. */
const BODY_QUEUE = 64 * 1024;

export function problem(status: number, text: string): Response {
  return new Response(`glassbox: ${text}\n`, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** A request's body: its length (a server in the guest, busybox httpd's say, wants Content-Length, not chunks) and its bytes. */
export interface RequestBody {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/** Sends the request on `channel` (connected to the guest's `port` by the worker) and resolves with the response as it begins. */
export function relayRequest(channel: MessagePort, port: number, head: RequestHead, body: RequestBody | null): Promise<Response> {
  const send = (m: ToGuest) => channel.postMessage(m);
  send({ data: encodeRequestHead(head, body?.size ?? 0) });

  return new Promise<Response>((resolve) => {
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    let answered = false;
    let finished = false;
    const inbox: FromGuest[] = [];
    const late = setTimeout(() => fail(`the guest's port ${port} sent no response within ${HEAD_MS / 1000} s`, 504), HEAD_MS);
    const finish = () => {
      finished = true;
      clearTimeout(late);
      inbox.length = 0;
      channel.onmessage = null;
      channel.close();
    };
    /** Before the head: an error response; after it, the body stream breaks. */
    const fail = (why: string, status = 502) => {
      if (finished) return;
      send({ abort: true });
      finish();
      if (!answered) resolve(problem(status, why));
      else stream?.error(new Error(why));
      answered = true;
      wakeUpload?.();
    };
    /** Body bytes sent that the guest's side has not taken yet, and the upload waiting for them to be. */
    let unsent = 0;
    let wakeUpload: (() => void) | undefined;
    const upload = async (b: RequestBody) => {
      const reader = b.stream.getReader();
      let sent = 0;
      try {
        for (;;) {
          while (unsent >= RELAY_WINDOW && !finished) await new Promise<void>((r) => (wakeUpload = r));
          if (finished) return void reader.cancel().catch(() => {});
          const { done, value } = await reader.read();
          if (done) break;
          sent += value.length;
          if (sent > b.size) return fail(`the request's body is longer than the ${b.size} bytes it announced`, 400);
          unsent += value.length;
          if (!finished) send({ data: value });
        }
        if (sent < b.size) fail(`the request's body ended after ${sent} of the ${b.size} bytes it announced`, 400);
      } catch (e) {
        fail(`the request's body could not be read: ${(e as Error).message}`, 400);
      }
    };
    if (body && body.size > 0) void upload(body);
    const parser = new ResponseParser(head.method, {
      head(response) {
        clearTimeout(late);
        if (response.status > 599) return fail(`the guest's server answered with status ${response.status}`);
        const headers = new Headers();
        for (const [name, value] of response.headers) {
          try {
            headers.append(name, value);
          } catch {
            // a field the browser refuses (a malformed name or value) is left out
          }
        }
        const nullBody = head.method === 'HEAD' || response.status === 204 || response.status === 304;
        const bodyStream = nullBody
          ? null
          : new ReadableStream<Uint8Array>(
              {
                start: (c) => void (stream = c),
                // The reader took some: the guest's bytes that waited for room go on.
                pull: () => take(),
                // The reader went away (an iframe navigated elsewhere): the connection goes too.
                cancel: () => {
                  stream = null;
                  send({ abort: true });
                  finish();
                },
              },
              { highWaterMark: BODY_QUEUE, size: (chunk) => chunk.byteLength },
            );
        answered = true;
        resolve(new Response(bodyStream, { status: response.status, statusText: response.statusText, headers }));
      },
      body: (bytes) => stream?.enqueue(bytes.slice()),
      done() {
        stream?.close();
        // Our side ends too: the guest's server has closed, or closes on our FIN.
        send({ end: true });
        finish();
      },
    });
    /** The reader has no room: the body stream's queue is full. (Before the head, and for a body-less response, there is always room.) */
    const full = () => stream !== null && (stream.desiredSize ?? 0) <= 0;
    let taking = false;
    /**
     * Parses what waited in the inbox while the reader has room, and credits
     * the worker with it. Not re-entered: enqueueing for a waiting read calls
     * pull at once, inside the parser, whose loop here goes on anyway.
     */
    const take = () => {
      if (taking) return;
      taking = true;
      let credit = 0;
      try {
        while (inbox.length > 0 && !finished && !full()) {
          const m = inbox.shift()!;
          if ('data' in m) {
            credit += m.data.length;
            parser.push(m.data);
          } else if ('end' in m) parser.end();
          else if ('abort' in m) fail(m.abort);
        }
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        fail(`the guest's port ${port} did not answer in HTTP/1.x: ${err.message}`);
      } finally {
        taking = false;
      }
      if (credit > 0 && !finished) send({ credit });
    };
    channel.onmessage = (e: MessageEvent<FromGuest>) => {
      if ('taken' in e.data) {
        // Not queued behind the response's bytes: the upload goes on whatever the reader of the response does.
        unsent -= e.data.taken;
        wakeUpload?.();
        return;
      }
      inbox.push(e.data);
      take();
    };
  });
}
