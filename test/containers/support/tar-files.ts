// The regular files of a tar archive in memory, for tests that look inside
// what the store saved or built (the store itself streams archives to disk).

import { extract } from 'tar-stream';

export async function tarFiles(tar: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const ex = extract();
  const read = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      if (entry.header.type === 'file') files.set(entry.header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
    }
  })();
  ex.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  await read;
  return files;
}
