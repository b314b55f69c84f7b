// The messages that carry one TCP connection into the guest between the
// page's Service Worker and its machine worker: the Service Worker asks a
// page for a connection with OpenPort (the page hands the channel on to its
// worker), then both ends speak over that MessageChannel.

/** Where the page serves a guest port: ports/PORT/ under the page's directory. */
export const PORTS_PATH = 'ports/';

export const OPEN_PORT = 'glassbox-open-port';

/** The Service Worker to a page: connect `channel` to the guest's TCP port `port`. */
export interface OpenPort {
  type: typeof OPEN_PORT;
  port: number;
  channel: MessagePort;
}

/**
 * Bytes for the guest, the end of them (a half-close), the connection
 * dropped, or credit: the Service Worker handed `credit` more of the guest's
 * bytes on towards the page's reader.
 */
export type ToGuest = { data: Uint8Array } | { end: true } | { abort: true } | { credit: number };

/**
 * The guest's bytes the worker sends ahead of the Service Worker's credit
 * (and a request body's bytes the Service Worker sends ahead of the worker's `taken`).
 * Past it the worker stops reading the connection, which narrows the window
 * the user-mode network advertises to the guest's TCP (tcp-connection.ts),
 * so a reader that stops (a slow page, a large file) stops the guest's
 * server instead of filling memory.
 */
export const RELAY_WINDOW = 256 * 1024;

/**
 * The guest's bytes, their end, the connection gone (with why), or `taken`:
 * the guest's side took that many more of the bytes sent to it (a request's
 * body streams only RELAY_WINDOW ahead of what the guest's TCP has taken, so
 * an upload of any size waits in the browser, not in the workers).
 */
export type FromGuest = { data: Uint8Array } | { end: true } | { abort: string } | { taken: number };

/** The guest port and the path under it that `url` names, when it is under `base`'s ports/. */
export function portTarget(url: string, base: string): { port: number; target: string } | null {
  const u = new URL(url);
  const root = new URL(PORTS_PATH, base);
  if (u.origin !== root.origin || !u.pathname.startsWith(root.pathname)) return null;
  const m = /^(\d{1,5})(\/.*)?$/.exec(u.pathname.slice(root.pathname.length));
  if (!m) return null;
  return { port: Number(m[1]), target: (m[2] ?? '/') + u.search };
}
