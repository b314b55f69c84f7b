// HTTP/1.1 on a raw byte stream, the client's side, as the Service Worker
// speaks it to a server in the guest: a request written out (RFC 9112), and
// the response read back incrementally: its status line and fields, then its
// body by the framing the response chose (chunked, Content-Length, or up to
// the end of the connection). One request per connection (Connection:
// close), so nothing is pipelined. No library: what exists on npm parses
// with Node's Buffer or needs Node's streams.

import { concatBytes } from '../../bytes.ts';

const CRLF = '\r\n';
const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

export interface RequestHead {
  method: string;
  /** The request target: path and query. */
  target: string;
  /** The Host field's value. */
  host: string;
  headers: [string, string][];
}

/** Fields this end sets itself: the connection is one request long, and the body framed by its length. */
const OWN_FIELDS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** The request's head (request line and fields), for a body of `bodyLength` bytes framed by Content-Length (none when 0). */
export function encodeRequestHead(head: RequestHead, bodyLength: number): Uint8Array {
  const lines = [`${head.method} ${head.target} HTTP/1.1`, `Host: ${head.host}`, 'Connection: close'];
  for (const [name, value] of head.headers) if (!OWN_FIELDS.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  if (bodyLength > 0) lines.push(`Content-Length: ${bodyLength}`);
  return encoder.encode(lines.join(CRLF) + CRLF + CRLF);
}

/** The request's bytes: request line, fields, and the body (framed by Content-Length when there is one). */
export function encodeRequest(head: RequestHead, body: Uint8Array | null): Uint8Array {
  const headBytes = encodeRequestHead(head, body?.length ?? 0);
  return body && body.length > 0 ? concatBytes([headBytes, body]) : headBytes;
}

export interface ResponseHead {
  status: number;
  statusText: string;
  headers: [string, string][];
}

/** What the parser hands on as the response arrives. */
export interface ResponseEvents {
  head(head: ResponseHead): void;
  body(bytes: Uint8Array): void;
  /** The body is complete. */
  done(): void;
}

/** The longest response head taken (status line and fields), as servers bound request heads. */
const MAX_HEAD = 64 * 1024;

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

export class HttpError extends Error {}

/**
 * Reads one response to a request made with `method`: feed it the
 * connection's bytes as they come, then `end()` when the connection ends.
 * Throws HttpError on bytes that are no HTTP/1.x response, or a body cut
 * short.
 */
export class ResponseParser {
  private buffer: Uint8Array = new Uint8Array(0);
  private framing: Framing | null = null;
  /** Inside a chunked body: bytes left of the current chunk's data (then its CRLF), or null between chunks. */
  private chunkLeft: number | null = null;
  private finished = false;

  constructor(
    private readonly method: string,
    private readonly events: ResponseEvents,
  ) {}

  push(bytes: Uint8Array): void {
    if (this.finished) return; // after the body: whatever the server sends more is not this response
    this.buffer = this.buffer.length ? concatBytes([this.buffer, bytes]) : bytes;
    this.advance();
  }

  /** The connection ended: the body ends here if it runs to the close, else it was cut short. */
  end(): void {
    if (this.finished) return;
    if (this.framing?.kind === 'close') return this.finish();
    throw new HttpError(this.framing ? 'the connection closed before the end of the response body' : 'the connection closed before a complete response head');
  }

  private advance(): void {
    while (!this.framing && !this.finished) {
      const end = indexOfBlankLine(this.buffer);
      if (end < 0) {
        if (this.buffer.length > MAX_HEAD) throw new HttpError(`a response head longer than ${MAX_HEAD} bytes`);
        return;
      }
      const head = parseHead(latin1.decode(this.buffer.subarray(0, end)));
      this.buffer = this.buffer.subarray(end + 4);
      if (head.status < 200) continue; // an interim response (100 Continue): the real one follows
      this.framing = framingOf(this.method, head);
      this.events.head(head);
    }
    if (this.framing?.kind === 'chunked') this.dechunk();
    else if (this.framing?.kind === 'length') {
      const n = Math.min(this.framing.left, this.buffer.length);
      if (n > 0) this.events.body(this.buffer.subarray(0, n));
      this.buffer = this.buffer.subarray(n);
      this.framing.left -= n;
      if (this.framing.left === 0) this.finish();
    } else if (this.framing?.kind === 'close') {
      if (this.buffer.length) this.events.body(this.buffer);
      this.buffer = new Uint8Array(0);
    } else if (this.framing?.kind === 'none') this.finish();
  }

  /** Chunked transfer coding (RFC 9112 §7.1): size line, data, CRLF, ..., a zero size, trailer fields, a blank line. */
  private dechunk(): void {
    for (;;) {
      if (this.chunkLeft === null) {
        const eol = indexOfCrlf(this.buffer);
        if (eol < 0) return;
        const line = latin1.decode(this.buffer.subarray(0, eol));
        const digits = line.split(';')[0].trim(); // chunk extensions after ';' are ignored
        if (!/^[0-9a-fA-F]{1,8}$/.test(digits)) throw new HttpError(`a bad chunk size line ${JSON.stringify(line.slice(0, 80))}`);
        const size = Number.parseInt(digits, 16);
        if (size === 0) {
          // The last chunk: then trailer fields, if any, and a blank line.
          const rest = this.buffer.subarray(eol + 2);
          if ((rest[0] === 13 && rest[1] === 10) || indexOfBlankLine(rest) >= 0) this.finish();
          return;
        }
        this.buffer = this.buffer.subarray(eol + 2);
        this.chunkLeft = size;
      }
      if (this.chunkLeft > 0) {
        const n = Math.min(this.chunkLeft, this.buffer.length);
        if (n === 0) return;
        this.events.body(this.buffer.subarray(0, n));
        this.buffer = this.buffer.subarray(n);
        this.chunkLeft -= n;
        if (this.chunkLeft > 0) return;
      }
      if (this.buffer.length < 2) return;
      if (this.buffer[0] !== 13 || this.buffer[1] !== 10) throw new HttpError('a chunk not followed by CRLF');
      this.buffer = this.buffer.subarray(2);
      this.chunkLeft = null;
    }
  }

  private finish(): void {
    this.finished = true;
    this.events.done();
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine, ...fieldLines] = text.split(CRLF);
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new HttpError(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers: [string, string][] = [];
  for (const line of fieldLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpError(`a malformed header field line ${JSON.stringify(line.slice(0, 80))}`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers };
}

/** How the body is delimited (RFC 9112 §6.3). */
function framingOf(method: string, head: ResponseHead): Framing {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return { kind: 'none' };
  const field = (name: string) => head.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
  const coding = field('transfer-encoding').join(',').toLowerCase();
  if (coding.split(',').pop()?.trim() === 'chunked') return { kind: 'chunked' };
  if (coding) return { kind: 'close' };
  const lengths = field('content-length');
  if (lengths.length === 0) return { kind: 'close' };
  const length = Number(lengths[0]);
  if (!/^\d+$/.test(lengths[0]) || lengths.some((l) => l !== lengths[0])) throw new HttpError(`a bad Content-Length ${JSON.stringify(lengths.join(', '))}`);
  return length === 0 ? { kind: 'none' } : { kind: 'length', left: length };
}

function indexOfBlankLine(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

function indexOfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}
