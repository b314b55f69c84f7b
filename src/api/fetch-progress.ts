// Downloading a file while reporting the bytes received (the boot progress
// bar: the guest images are several MiB, and the page should not sit blank).
// The bytes go straight into one buffer of the length the server announced,
// and each report hands a view of what has arrived, for a reader that works
// on the file while the rest downloads (the page's worker: inflate-ahead.ts).

/** Bytes received so far of `total` (0 when the server does not say), and a view of them (valid during the call only). */
export type DownloadProgress = (loaded: number, total: number, received: Uint8Array) => void;

export async function fetchWithProgress(url: string, onProgress: DownloadProgress): Promise<Uint8Array<ArrayBuffer>> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`cannot load ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || 0;
  let out = new Uint8Array(total);
  let loaded = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > out.length) {
      // More than announced (or nothing announced): room for it and as much again.
      const more = new Uint8Array(Math.max(out.length * 2, loaded + value.length, 1 << 20));
      more.set(out.subarray(0, loaded));
      out = more;
    }
    out.set(value, loaded);
    loaded += value.length;
    onProgress(loaded, total, out.subarray(0, loaded));
  }
  return loaded === out.length ? out : out.slice(0, loaded);
}
