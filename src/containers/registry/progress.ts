// What pulls and pushes report as they go, one record per blob, as Docker's
// JSON progress stream does; the CLI draws it (src/cli/progress.ts).

export interface Progress {
  /** The blob's short ID: the first 12 hex digits of its digest. */
  id: string;
  /** "Pulling fs layer", "Downloading", "Download complete", "Already exists", "Pushing", "Pushed", "Mounted from REPO", ... */
  status: string;
  current?: number;
  total?: number;
}

export type OnProgress = (p: Progress) => void;

export const shortId = (digest: string) => digest.slice('sha256:'.length, 'sha256:'.length + 12);

/** Runs `work` on every item with at most `limit` at once (Docker's max-concurrent-downloads is 3). */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
