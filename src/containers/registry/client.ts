// A client of one registry over the OCI distribution spec (v1.1, which is
// Docker's registry API v2): manifests by tag or digest, blobs verified by
// digest as they stream in (resumed with a Range request when a download is
// cut), blob uploads in chunks (POST, PATCH..., PUT ?digest=) or by a
// cross-repository mount, manifest uploads. It uses only fetch and Web APIs,
// so the browser can use it against a registry that sends CORS headers;
// Node passes a fetch that trusts the system's CAs (node-transport.ts).

import { Authorizer, type Credentials } from './auth.ts';
import { RegistryError, failure, networkCause } from './errors.ts';
import { webHasher, type HasherFactory } from './hash.ts';
import { MANIFEST_ACCEPT } from './media.ts';
import { apiHost } from './reference.ts';
import type { Descriptor } from '../store/oci.ts';
import { sleep } from '../../api/yield.ts';

/** No answer from the registry at all (refused, reset, cut, stalled): worth another try. */
export class NetworkError extends RegistryError {
  override name = 'NetworkError';
}

export interface ClientOptions {
  fetch?: typeof globalThis.fetch;
  credentials?: Credentials;
  /** Plain HTTP instead of HTTPS (loopback registries and --insecure-registry hosts). */
  plainHttp?: boolean;
  hasher?: HasherFactory;
  /** Tries of one blob download, resuming where the last one was cut. */
  attempts?: number;
  /** How long a request may wait for its answer, and a download for its next bytes. */
  timeoutMs?: number;
}

/** Sees a blob's bytes as they arrive (a layer's diff_id is computed meanwhile); `restart` when a download starts over from byte 0. */
export interface BlobTap {
  update(chunk: Uint8Array): void;
  restart(): void;
}

export interface Manifest {
  descriptor: Descriptor;
  bytes: Uint8Array<ArrayBuffer>;
}

/** The size of one PATCH of a chunked blob upload. */
const UPLOAD_CHUNK = 8 << 20;
/** Manifests larger than this are refused (the distribution spec lets registries refuse past 4 MiB). */
const MANIFEST_MAX = 4 << 20;
const pullScope = (repo: string) => `repository:${repo}:pull`;
const pushScope = (repo: string) => `repository:${repo}:pull,push`;

export class RegistryClient {
  readonly base: string;
  private readonly fetch: typeof globalThis.fetch;
  private readonly auth: Authorizer;
  private readonly hasher: HasherFactory;
  private readonly attempts: number;
  private readonly timeoutMs: number;

  /** `domain`: the registry as references name it ("docker.io", "127.0.0.1:5000"). */
  constructor(
    readonly domain: string,
    opts: ClientOptions = {},
  ) {
    this.base = `${opts.plainHttp ? 'http' : 'https'}://${apiHost(domain)}`;
    this.fetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.hasher = opts.hasher ?? webHasher;
    this.attempts = opts.attempts ?? 5;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.auth = new Authorizer(this.fetch, opts.credentials, domain, this.timeoutMs);
  }

  /** A request with the authorization its scopes need, answering the registry's challenges. */
  private async request(url: string | URL, scopes: string[], init: RequestInit & { headers?: Record<string, string> } = {}, what = ''): Promise<Response> {
    for (let round = 0; ; round++) {
      const authorization = this.auth.header(scopes);
      let res: Response;
      try {
        res = await this.fetch(new URL(url, this.base), {
          ...init,
          headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
          signal: init.signal ?? AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        throw new NetworkError(`cannot reach registry ${this.domain} (${this.base})${what ? ` for ${what}` : ''}: ${networkCause(e)}`);
      }
      if (res.status !== 401 || round === 3) return res;
      await res.body?.cancel();
      await this.auth.challenged(res, scopes, authorization);
    }
  }

  /** Checks the registry speaks the API, with the credentials given (what `login` does). */
  async ping(): Promise<void> {
    const res = await this.request('/v2/', []);
    await res.body?.cancel();
    if (res.status === 401) throw await failure(res, `${this.domain} refused the credentials`);
    if (!res.ok) throw await failure(res, `${this.domain} does not answer as a registry at ${this.base}/v2/`);
  }

  /** A manifest or index by tag or digest, its bytes checked against the digest that names it. */
  async manifest(repo: string, ref: string): Promise<Manifest> {
    const what = `${this.domain}/${repo}:${ref}`;
    const res = await this.request(`/v2/${repo}/manifests/${ref}`, [pullScope(repo)], { headers: { accept: MANIFEST_ACCEPT } }, what);
    if (res.status === 404) throw await failure(res, `${what} not found`);
    if (!res.ok) throw await failure(res, `fetching manifest ${what}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > MANIFEST_MAX) throw new RegistryError(`manifest ${what} is ${bytes.length} bytes, more than glassbox accepts (${MANIFEST_MAX})`);
    const h = this.hasher();
    h.update(bytes);
    const digest = h.digest();
    const expected = ref.startsWith('sha256:') ? ref : res.headers.get('docker-content-digest');
    if (expected && expected !== digest) throw new RegistryError(`manifest ${what} has content with digest ${digest}, the registry says ${expected} (corrupted)`);
    let mediaType = res.headers.get('content-type')?.split(';')[0]?.trim();
    try {
      mediaType = (JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: string }).mediaType ?? mediaType;
    } catch (e) {
      throw new RegistryError(`manifest ${what} is not valid JSON (${(e as Error).message})`);
    }
    return { descriptor: { mediaType: mediaType ?? '', digest, size: bytes.length }, bytes };
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request(`/v2/${repo}/blobs/${digest}`, [pushScope(repo)], { method: 'HEAD' }, `blob ${digest}`);
    if (res.status === 404) return false;
    if (!res.ok) throw await failure(res, `checking for blob ${digest} in ${this.domain}/${repo}`);
    return true;
  }

  /**
   * A blob's bytes, hashed as they arrive and checked against its digest and
   * size. A download that is cut or stalls is resumed with a Range request
   * from the last byte received (from the start when the registry ignores
   * Range), up to `attempts` tries. `tap` sees every byte once, in order.
   */
  async blob(repo: string, d: Descriptor, onBytes: (received: number) => void = () => {}, tap?: BlobTap): Promise<Uint8Array> {
    const what = `blob ${d.digest} of ${this.domain}/${repo}`;
    if (!Number.isSafeInteger(d.size) || d.size < 0) throw new RegistryError(`${what}: its descriptor gives no valid size (${d.size})`);
    let hash = this.hasher();
    // The descriptor says how large the blob is: the bytes go straight into place, and never past its end.
    let out: Uint8Array;
    try {
      out = new Uint8Array(d.size);
    } catch {
      throw new RegistryError(`${what} is ${d.size} bytes, more than this process can hold`);
    }
    let got = 0;
    let why = '';
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await sleep(200 * attempt);
      const stall = new AbortController();
      let timer = setTimeout(() => stall.abort(), this.timeoutMs);
      try {
        const res = await this.request(`/v2/${repo}/blobs/${d.digest}`, [pullScope(repo)], { headers: got > 0 ? { range: `bytes=${got}-` } : {}, signal: stall.signal }, what);
        if (res.status === 404) throw await failure(res, `${what} not found`);
        if (res.status >= 500) throw new NetworkError((await failure(res, what)).message);
        if (!res.ok || !res.body) throw await failure(res, `fetching ${what}`);
        if (got > 0 && res.status !== 206) {
          // The registry sent the whole blob again: start over.
          [hash, got] = [this.hasher(), 0];
          tap?.restart();
        } else if (got > 0 && !res.headers.get('content-range')?.startsWith(`bytes ${got}-`)) {
          throw new RegistryError(`${what}: asked for bytes from ${got}, the registry sent ${res.headers.get('content-range')}`);
        }
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          clearTimeout(timer);
          timer = setTimeout(() => stall.abort(), this.timeoutMs);
          if (got + value.length > d.size) throw new RegistryError(`${what} is larger than the ${d.size} bytes its descriptor says`);
          hash.update(value);
          tap?.update(value);
          out.set(value, got);
          got += value.length;
          onBytes(got);
        }
        if (got === d.size) break;
        why = `the download ended after ${got} of ${d.size} bytes`;
      } catch (e) {
        // The registry's own refusals are final; a cut, reset or stalled transfer is tried again.
        if (e instanceof RegistryError && !(e instanceof NetworkError)) throw e;
        why = stall.signal.aborted
          ? `no data for ${this.timeoutMs / 1000} s after ${got} of ${d.size} bytes`
          : `${e instanceof NetworkError ? e.message : networkCause(e)} after ${got} of ${d.size} bytes`;
      } finally {
        clearTimeout(timer);
      }
    }
    if (got !== d.size) throw new RegistryError(`${what}: ${why} (${this.attempts} tries)`);
    const actual = hash.digest();
    if (actual !== d.digest) throw new RegistryError(`${what} has content with digest ${actual} (corrupted)`);
    return out;
  }

  // No request sets Content-Length: fetch computes it from the body (0 for an
  // empty POST or PUT), and browsers and Node's own fetch refuse it from callers.

  /**
   * Uploads a blob into a repository: mounted from `mountFrom` (another
   * repository of this registry that has it) when the registry allows,
   * otherwise sent in chunks. Returns whether it was mounted.
   */
  async uploadBlob(repo: string, d: Descriptor, data: Uint8Array<ArrayBuffer>, mountFrom: string | undefined, onBytes: (sent: number) => void = () => {}): Promise<boolean> {
    const what = `upload of blob ${d.digest} to ${this.domain}/${repo}`;
    const scopes = [pushScope(repo), ...(mountFrom ? [pullScope(mountFrom)] : [])];
    const query = mountFrom ? `?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(mountFrom)}` : '';
    const start = await this.request(`/v2/${repo}/blobs/uploads/${query}`, scopes, { method: 'POST' }, what);
    if (start.status === 201 && mountFrom) return true;
    if (start.status !== 202) throw await failure(start, what);
    let location = this.location(start, what);
    for (let at = 0; at < data.length; at += UPLOAD_CHUNK) {
      const chunk = data.subarray(at, Math.min(at + UPLOAD_CHUNK, data.length));
      const res = await this.request(
        location,
        scopes,
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${at}-${at + chunk.length - 1}` },
          body: chunk,
        },
        what,
      );
      if (res.status !== 202) throw await failure(res, what);
      location = this.location(res, what);
      onBytes(at + chunk.length);
    }
    const done = new URL(location);
    done.searchParams.set('digest', d.digest);
    const res = await this.request(done, scopes, { method: 'PUT' }, what);
    if (res.status !== 201) throw await failure(res, what);
    await res.body?.cancel();
    return false;
  }

  private location(res: Response, what: string): string {
    const loc = res.headers.get('location');
    if (!loc) throw new RegistryError(`${what}: the registry gave no upload location`);
    void res.body?.cancel();
    return new URL(loc, this.base).href;
  }

  /** Puts a manifest or index under a tag (or its digest); returns the digest the registry names it by. */
  async putManifest(repo: string, ref: string, m: Manifest): Promise<string> {
    const what = `manifest ${this.domain}/${repo}:${ref}`;
    const res = await this.request(
      `/v2/${repo}/manifests/${ref}`,
      [pushScope(repo)],
      {
        method: 'PUT',
        headers: { 'content-type': m.descriptor.mediaType },
        body: m.bytes,
      },
      what,
    );
    if (res.status !== 201) throw await failure(res, `uploading ${what}`);
    await res.body?.cancel();
    const digest = res.headers.get('docker-content-digest') ?? m.descriptor.digest;
    if (digest !== m.descriptor.digest) throw new RegistryError(`${what}: the registry stored it as ${digest}, not ${m.descriptor.digest}`);
    return digest;
  }
}
