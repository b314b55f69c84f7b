// The host end of `glassbox cp`, as Docker's CLI does it: a host path packed
// into a tar for the container (modes and times kept, owned by root as
// Docker's documentation says files copied into a container are), and a
// container's tar unpacked onto the host under Docker's rules for the
// destination (modes and times kept, owned by whoever runs the command).

import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { extract, pack, type Header } from 'tar-stream';

/** A header as pack takes it (the rest defaulted). */
type TarHeader = Partial<Header> & Pick<Header, 'name'>;

export class CopyError extends Error {
  override name = 'CopyError';
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** What a copy's source path asks for: the path itself, or (ending in "/.") only what is in the directory. */
export function sourceParts(path: string): { path: string; contents: boolean; trailingSlash: boolean } {
  const contents = /(^|\/)\.$/.test(path);
  return { path: contents ? path.slice(0, -1) || '.' : path, contents, trailingSlash: /\/\.?$/.test(path) };
}

/** The tar entries of a host file, directory or link, named under `name`; other kinds are refused by name. */
function headersOf(path: string, st: Stats, name: string, out: [TarHeader, Uint8Array | undefined][]): void {
  const common = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  if (st.isSymbolicLink()) out.push([{ ...common, type: 'symlink', linkname: readlinkSync(path) }, undefined]);
  else if (st.isFile()) out.push([{ ...common, type: 'file', size: st.size }, readFileSync(path)]);
  else if (st.isDirectory()) {
    out.push([{ ...common, type: 'directory' }, undefined]);
    for (const child of readdirSync(path).sort()) headersOf(join(path, child), lstatSync(join(path, child)), `${name}/${child}`, out);
  } else throw new CopyError(`${path} is not a regular file, directory or symbolic link (a FIFO, socket or device is never read)`);
}

/** A host path as a tar whose top entry is `name`; `follow` reads through a link given as the source (cp -L). */
export async function packHostPath(path: string, name: string, follow: boolean): Promise<Uint8Array> {
  const st = follow ? statSync(path) : lstatSync(path);
  const entries: [TarHeader, Uint8Array | undefined][] = [];
  headersOf(path, st, name, entries);
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const [header, data] of entries) {
    await new Promise<void>((res, rej) => {
      const cb = (err?: Error | null) => (err ? rej(err) : res());
      if (data === undefined) p.entry(header, cb);
      else p.entry(header, Buffer.from(data), cb);
    });
  }
  p.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/**
 * Where a container's source named `name` lands on the host, by Docker's
 * rules: into an existing directory by its name (its contents only with a
 * source ending in "/."), over an existing file, or as the missing path
 * itself, whose parent must exist. Returns the host path of the tar's top entry.
 */
export function hostTarget(dest: string, name: string, dir: boolean, contents: boolean): string {
  const st = lstatOrUndefined(dest);
  const isDir = st !== undefined && statSync(dest).isDirectory();
  if (isDir) return contents ? dest : join(dest, name);
  if (st) {
    if (dir) throw new CopyError(`cannot copy a directory to a file: ${dest} is a file`);
    return dest;
  }
  if (!dir && dest.endsWith('/')) throw new CopyError(`${dest}: the destination directory must exist`);
  const parent = dirname(dest.replace(/\/+$/, '') || '/');
  if (!existsAsDir(parent)) throw new CopyError(`${dest}: its parent directory ${parent} does not exist`);
  return dest.replace(/\/+$/, '');
}

const existsAsDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Unpacks a container's tar with its top entry at `target`. Entries climbing
 * out of the top one, or lying under a link the archive itself made, are
 * refused: nothing is written outside the target.
 */
export async function extractToHost(tar: Uint8Array, target: string): Promise<void> {
  const ex = extract();
  const links: string[] = [];
  const dirTimes: [string, Date][] = [];
  let top: string | undefined;
  /** The host path of an archive entry: under the target, or refused. */
  const place = (entryName: string) => {
    const name = posix.normalize(entryName).replace(/\/$/, '');
    // A container's root comes as ".", its entries as "bin", "etc/passwd", ...
    const rel = name === top ? '' : top === '.' ? name : name.startsWith(`${top}/`) ? name.slice(top!.length + 1) : undefined;
    if (rel === undefined || rel.split('/').includes('..')) throw new CopyError(`the container's archive holds "${entryName}", outside what was asked for`);
    return rel ? join(target, rel) : target;
  };
  const done = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      top ??= posix.normalize(h.name).split('/')[0]!;
      const to = place(h.name);
      if (links.some((l) => to.startsWith(`${l}/`))) throw new CopyError(`the container's archive puts "${h.name}" under a link it made`);
      const existing = lstatOrUndefined(to);
      if (h.type === 'directory') {
        if (existing && !existing.isDirectory()) rmSync(to, { force: true });
        mkdirSync(to, { recursive: true });
        chmodSync(to, h.mode! & 0o7777);
        dirTimes.push([to, h.mtime ?? new Date()]);
        continue;
      }
      if (existing) rmSync(to, { recursive: true, force: true });
      if (h.type === 'symlink') {
        symlinkSync(h.linkname!, to);
        links.push(to);
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        writeFileSync(to, Buffer.concat(chunks), { mode: h.mode! & 0o7777 });
        chmodSync(to, h.mode! & 0o7777);
        utimesSync(to, h.mtime ?? new Date(), h.mtime ?? new Date());
      } else if (h.type === 'link') {
        // Another name of a file this archive has already written.
        linkSync(place(h.linkname!), to);
      } else {
        process.stderr.write(`glassbox: skipped ${h.name}: a ${h.type} is not copied to the host\n`);
      }
    }
  })();
  ex.end(Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength));
  await done;
  // Directories' times last: writing into them moved their mtimes.
  for (const [dir, time] of dirTimes.reverse()) utimesSync(dir, time, time);
}
