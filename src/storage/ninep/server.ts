// A 9P2000.L file server on host directories (node:fs, synchronous), for
// virtio-9p: what Linux's v9fs asks with trans=virtio,version=9p2000.L.
// Messages as the protocol has them (size[4] type[1] tag[2] fields; R is
// T + 1; Rlerror carries a Linux errno). Everything the guest sends is
// checked: a short message, an unknown fid, a bad name or a host error is
// an Rlerror, never an exception out of handle().
//
// A fid is a path (names under an export, host-tree.ts), plus an open file
// or a directory listing once opened. An attach names its export by the
// mount's aname ("" when the guest gives none); with no export named "",
// aname "" is the list of exports, a read-only directory with each export's
// root in it by name. So one device (which Linux mounts once) can share
// several host directories, each confined to itself and read-only or not.

import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lchownSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  lstatSync,
  readlinkSync,
  readSync,
  renameSync,
  rmdirSync,
  statfsSync,
  symlinkSync,
  chmodSync,
  truncateSync,
  unlinkSync,
  writeSync,
  constants as fsc,
} from 'node:fs';
import type { NinePServer } from '../../devices/virtio/9p.ts';
import { errno, errnoOf, NinePError } from './errno.ts';
import { checkName, hostPath, lstatIn, type Export } from './host-tree.ts';
import { guestId, hostId, processUser, type HostUser } from './owner.ts';
import { QT_DIR, QT_FILE, QT_SYMLINK, Reader, ShortMessage, Writer, type Qid } from './wire.ts';

/** Message types (T; the reply is T + 1). */
const T = {
  lerror: 6,
  statfs: 8,
  lopen: 12,
  lcreate: 14,
  symlink: 16,
  mknod: 18,
  rename: 20,
  readlink: 22,
  getattr: 24,
  setattr: 26,
  xattrwalk: 30,
  xattrcreate: 32,
  readdir: 40,
  fsync: 50,
  lock: 52,
  getlock: 54,
  link: 70,
  mkdir: 72,
  renameat: 74,
  unlinkat: 76,
  version: 100,
  attach: 104,
  flush: 108,
  walk: 110,
  read: 116,
  write: 118,
  clunk: 120,
  remove: 122,
} as const;

const VERSION = '9P2000.L';
const NOTAG = 0xffff;
/** The largest message: Linux's virtio transport takes up to 500 KiB; 128 KiB keeps a request's copy small. */
const MAX_MSIZE = 128 * 1024;
/** Open fids one guest may hold: past it, ENFILE rather than host descriptors without end. */
const MAX_FIDS = 16384;
/** Rread and Rreaddir: size[4] type[1] tag[2] count[4] before the data. */
const IO_HEADER = 11;
const MAX_WALK = 16;

/** Linux's open flags (the 9P2000.L ones are Linux's own). */
const L = { ACCMODE: 3, RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000 } as const;
const AT_REMOVEDIR = 0x200;
/** Rgetattr's valid mask: the basic fields (mode through blocks, the times). */
const STATS_BASIC = 0x7ffn;
/** Tsetattr's valid bits. */
const SET = { MODE: 1, UID: 2, GID: 4, SIZE: 8, ATIME: 0x10, MTIME: 0x20, ATIME_SET: 0x80, MTIME_SET: 0x100 } as const;
const S_IFMT = 0o170000,
  S_IFDIR = 0o040000,
  S_IFLNK = 0o120000,
  S_IFREG = 0o100000;
const V9FS_MAGIC = 0x01021997;
const F_UNLCK = 2;

interface Fid {
  /** Absent for the list of exports (an attach with aname "" when nothing is exported as ""). */
  exp?: Export;
  names: string[];
  /** A host descriptor once the file is opened. */
  fd?: number;
  /** A directory's entries once opened (read again when read from offset 0). */
  entries?: { name: string; qid: Qid; type: number }[];
}

/** Node's open flags for Linux's, the last name never followed. */
function openFlags(flags: number): number {
  const acc = flags & L.ACCMODE;
  return (
    (acc === L.WRONLY ? fsc.O_WRONLY : acc === L.RDWR ? fsc.O_RDWR : fsc.O_RDONLY) |
    (flags & L.TRUNC ? fsc.O_TRUNC : 0) |
    (flags & L.APPEND ? fsc.O_APPEND : 0) |
    (flags & L.CREAT ? fsc.O_CREAT : 0) |
    (flags & L.EXCL ? fsc.O_EXCL : 0) |
    fsc.O_NOFOLLOW
  );
}

function qidOf(st: { mode: bigint; ino: bigint }): Qid {
  const fmt = Number(st.mode) & S_IFMT;
  return { type: fmt === S_IFDIR ? QT_DIR : fmt === S_IFLNK ? QT_SYMLINK : QT_FILE, version: 0, path: st.ino };
}

/** A directory entry's type (DT_*) from its mode. */
function direntType(mode: bigint): number {
  return (Number(mode) & S_IFMT) >> 12;
}

const seconds = (s: bigint, ns: bigint) => Number(s) + Number(ns) / 1e9;
/** The list of exports: a directory of its own, whose qid no host file's inode number reaches. */
const LIST_QID: Qid = { type: QT_DIR, version: 0, path: 2n ** 64n - 1n };
const DT_DIR = 4;
/** What getattr says of the list of exports: a directory others may read, of no size. */
const LIST_STAT = {
  mode: BigInt(S_IFDIR | 0o555),
  ino: LIST_QID.path,
  uid: 0n,
  gid: 0n,
  nlink: 2n,
  rdev: 0n,
  size: 0n,
  blksize: 4096n,
  blocks: 0n,
  atimeNs: 0n,
  mtimeNs: 0n,
  ctimeNs: 0n,
};

export class NinePFileServer implements NinePServer {
  private msize = 8192;
  private readonly fids = new Map<number, Fid>();
  /** The host user this process is, who owns what it makes. */
  private readonly self = processUser().uid;

  /**
   * `exports`: the host directories by aname ("" for a mount that names
   * none); `owner`: the host user the guest's root stands for (owner.ts).
   */
  constructor(
    private readonly exports: Map<string, Export>,
    private readonly owner: HostUser = processUser(),
  ) {}

  handle(request: Uint8Array, room: number): Uint8Array {
    let tag = NOTAG;
    let type = 0;
    try {
      if (request.length < 7) throw new ShortMessage();
      const r = new Reader(request);
      const size = r.u32();
      type = r.u8();
      tag = r.u16();
      if (size < 7 || size > request.length) throw new ShortMessage();
      const reply = this.dispatch(type, tag, new Reader(request.subarray(7, size)), room);
      if (reply.length > room) throw new NinePError('EMSGSIZE');
      return reply;
    } catch (e) {
      const code = e instanceof ShortMessage ? errno('EPROTO') : e instanceof NinePError ? errno(e.code) : errnoOf(e);
      return new Writer(T.lerror + 1, tag).u32(code).finish();
    }
  }

  private fid(n: number): Fid {
    const f = this.fids.get(n);
    if (!f) throw new NinePError('EBADF', `no fid ${n}`);
    return f;
  }

  private newFid(n: number, f: Fid): void {
    if (this.fids.has(n)) throw new NinePError('EINVAL', `fid ${n} is in use`);
    if (this.fids.size >= MAX_FIDS) throw new NinePError('ENFILE');
    this.fids.set(n, f);
  }

  /** The fid's export; the list of exports is read-only, and nothing in it but the exports. */
  private ex(f: Fid): Export {
    if (!f.exp) throw new NinePError('EROFS', 'the list of exports');
    return f.exp;
  }

  /** Gives what the guest just made to the share's owner, when this process is another user (root, running for one). */
  private made(path: string): void {
    if (this.self !== this.owner.uid) lchownSync(path, this.owner.uid, this.owner.gid);
  }

  private writable(f: Fid): void {
    if (this.ex(f).readOnly) throw new NinePError('EROFS');
  }

  private path(f: Fid): string {
    return hostPath(this.ex(f), f.names);
  }

  /** The host path of a new entry `name` in directory fid `dir`. */
  private child(dir: Fid, name: string): string {
    this.writable(dir);
    return hostPath(this.ex(dir), [...dir.names, checkName(name)]);
  }

  private qidAt(f: Fid, ...more: string[]): Qid {
    if (!f.exp && !more.length) return LIST_QID;
    return qidOf(lstatIn(this.ex(f), [...f.names, ...more]));
  }

  private close(f: Fid): void {
    if (f.fd !== undefined) closeSync(f.fd);
    f.fd = undefined;
    f.entries = undefined;
  }

  private dispatch(type: number, tag: number, r: Reader, room: number): Uint8Array {
    const w = new Writer(type + 1, tag);
    switch (type) {
      case T.version: {
        const msize = r.u32();
        const version = r.str();
        for (const f of this.fids.values()) this.close(f);
        this.fids.clear();
        this.msize = Math.max(4096, Math.min(msize, MAX_MSIZE));
        return w
          .u32(this.msize)
          .str(version === VERSION ? VERSION : 'unknown')
          .finish();
      }
      case T.attach: {
        const fid = r.u32();
        r.u32(); // afid: no authentication
        r.str(); // uname
        const aname = r.str();
        // aname "" with no export of that name: the list of exports, each a directory in it.
        const exp = this.exports.get(aname);
        if (!exp && aname !== '') throw new NinePError('ENOENT', `nothing exported as "${aname}"`);
        const f: Fid = { exp, names: [] };
        const qid = this.qidAt(f);
        this.newFid(fid, f);
        return w.qid(qid).finish();
      }
      case T.walk:
        return this.walk(r, w);
      case T.clunk: {
        const n = r.u32();
        const f = this.fid(n);
        this.fids.delete(n);
        this.close(f);
        return w.finish();
      }
      case T.remove: {
        const n = r.u32();
        const f = this.fid(n);
        this.fids.delete(n);
        this.close(f);
        this.writable(f);
        const path = this.path(f);
        if (this.qidAt(f).type === QT_DIR) rmdirSync(path);
        else unlinkSync(path);
        return w.finish();
      }
      case T.flush:
        r.u16(); // every request is answered before the next is read: nothing to flush
        return w.finish();
      case T.getattr:
        return this.getattr(this.fid(r.u32()), w);
      case T.setattr:
        this.setattr(this.fid(r.u32()), r);
        return w.finish();
      case T.lopen: {
        const f = this.fid(r.u32());
        const flags = r.u32();
        if (f.fd !== undefined || f.entries) throw new NinePError('EINVAL', 'fid already open');
        const qid = this.qidAt(f);
        if (qid.type !== QT_DIR) {
          if ((flags & L.ACCMODE) !== L.RDONLY || flags & L.TRUNC) this.writable(f);
          f.fd = openSync(this.path(f), openFlags(flags & ~(L.CREAT | L.EXCL)));
        } else f.entries = [];
        return w.qid(qid).u32(0).finish();
      }
      case T.lcreate: {
        const f = this.fid(r.u32());
        const name = r.str();
        const flags = r.u32();
        const mode = r.u32();
        r.u32(); // gid: files belong to the share's owner
        if (f.fd !== undefined || f.entries) throw new NinePError('EINVAL', 'fid already open');
        const path = this.child(f, name);
        const existed = this.self !== this.owner.uid && lstatSync(path, { throwIfNoEntry: false }) !== undefined;
        const fd = openSync(path, openFlags(flags | L.CREAT), mode & 0o7777);
        if (!existed) this.made(path);
        f.names = [...f.names, name];
        f.fd = fd;
        return w
          .qid(qidOf(fstatSync(fd, { bigint: true })))
          .u32(0)
          .finish();
      }
      case T.read:
        return this.read(r, w, room);
      case T.write: {
        const f = this.fid(r.u32());
        const offset = r.num();
        const count = r.u32();
        const data = r.data(count);
        if (f.fd === undefined) throw new NinePError('EBADF', 'fid not open');
        this.writable(f);
        return w.u32(writeSync(f.fd, data, 0, data.length, offset)).finish();
      }
      case T.readdir:
        return this.readdir(r, w, room);
      case T.mkdir: {
        const f = this.fid(r.u32());
        const name = r.str();
        const mode = r.u32();
        r.u32(); // gid
        const path = this.child(f, name);
        mkdirSync(path, mode & 0o7777);
        this.made(path);
        return w.qid(this.qidAt(f, name)).finish();
      }
      case T.symlink: {
        const f = this.fid(r.u32());
        const name = r.str();
        const target = r.str();
        r.u32(); // gid
        const path = this.child(f, name);
        symlinkSync(target, path);
        this.made(path);
        return w.qid(this.qidAt(f, name)).finish();
      }
      case T.mknod: {
        const f = this.fid(r.u32());
        const name = r.str();
        const mode = r.u32();
        const path = this.child(f, name);
        // Node makes no device nodes or FIFOs: only a plain file, as an unprivileged mknod would.
        if ((mode & S_IFMT) !== S_IFREG) throw new NinePError('EPERM');
        closeSync(openSync(path, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, mode & 0o7777));
        this.made(path);
        return w.qid(this.qidAt(f, name)).finish();
      }
      case T.readlink: {
        const f = this.fid(r.u32());
        return w.str(readlinkSync(this.path(f), 'utf8')).finish();
      }
      case T.link: {
        const dir = this.fid(r.u32());
        const f = this.fid(r.u32());
        const name = r.str();
        if (dir.exp !== this.ex(f)) throw new NinePError('EXDEV');
        linkSync(this.path(f), this.child(dir, name));
        return w.finish();
      }
      case T.rename: {
        const f = this.fid(r.u32());
        const dir = this.fid(r.u32());
        const name = r.str();
        if (!f.names.length) throw new NinePError('EBUSY', 'the root cannot be renamed');
        this.move(this.ex(f), f.names, dir, name);
        return w.finish();
      }
      case T.renameat: {
        const from = this.fid(r.u32());
        const oldName = checkName(r.str());
        const to = this.fid(r.u32());
        const newName = r.str();
        this.move(this.ex(from), [...from.names, oldName], to, newName);
        return w.finish();
      }
      case T.unlinkat: {
        const dir = this.fid(r.u32());
        const name = r.str();
        const flags = r.u32();
        const path = this.child(dir, name);
        if (flags & AT_REMOVEDIR) rmdirSync(path);
        else unlinkSync(path);
        return w.finish();
      }
      case T.statfs: {
        const f = this.fid(r.u32());
        if (!f.exp) return w.u32(V9FS_MAGIC).u32(4096).u64(0).u64(0).u64(0).u64(0).u64(0).u64(0).u32(255).finish();
        const s = statfsSync(this.path(f), { bigint: true });
        return w.u32(V9FS_MAGIC).u32(Number(s.bsize)).u64(s.blocks).u64(s.bfree).u64(s.bavail).u64(s.files).u64(s.ffree).u64(0).u32(255).finish();
      }
      case T.fsync: {
        const f = this.fid(r.u32());
        if (f.fd !== undefined) fsyncSync(f.fd);
        return w.finish();
      }
      case T.xattrwalk: {
        this.fid(r.u32());
        r.u32(); // newfid
        // No extended attributes: none to read, and listing them is not supported.
        throw new NinePError(r.str() ? 'ENODATA' : 'EOPNOTSUPP');
      }
      case T.xattrcreate:
        this.fid(r.u32());
        throw new NinePError('EOPNOTSUPP');
      case T.lock:
        // Advisory locks are the guest's own business on a share only it writes: granted.
        this.fid(r.u32());
        return w.u8(0).finish();
      case T.getlock: {
        this.fid(r.u32());
        r.u8(); // type
        const start = r.u64();
        const length = r.u64();
        const proc = r.u32();
        const client = r.str();
        return w.u8(F_UNLCK).u64(start).u64(length).u32(proc).str(client).finish();
      }
      default:
        throw new NinePError('EOPNOTSUPP', `message type ${type}`);
    }
  }

  private walk(r: Reader, w: Writer): Uint8Array {
    const fromFid = r.u32();
    const from = this.fid(fromFid);
    const newfid = r.u32();
    const count = r.u16();
    if (count > MAX_WALK) throw new NinePError('EINVAL', `a walk of ${count} names`);
    const wnames = Array.from({ length: count }, () => r.str());
    let exp = from.exp;
    const names = [...from.names];
    const qids: Qid[] = [];
    for (const name of wnames) {
      try {
        if (qids.length ? qids[qids.length - 1]!.type !== QT_DIR : this.qidAt({ exp, names }).type !== QT_DIR) throw new NinePError('ENOTDIR');
        if (!exp) {
          // In the list of exports: "." and ".." stay there, any other name is an export's root.
          if (name !== '.' && name !== '..') exp = this.exports.get(name) ?? this.missing(name);
        } else if (name === '..')
          names.pop(); // never above the export's root
        else if (name !== '.') names.push(checkName(name));
        qids.push(this.qidAt({ exp, names }));
      } catch (e) {
        if (!qids.length) throw e;
        break; // a partial walk: the qids so far, and newfid is not made
      }
    }
    if (qids.length === wnames.length) {
      if (newfid === fromFid) {
        if (from.fd !== undefined || from.entries) throw new NinePError('EINVAL', 'walking an open fid');
        from.exp = exp;
        from.names = names;
      } else this.newFid(newfid, { exp, names });
    }
    w.u16(qids.length);
    for (const q of qids) w.qid(q);
    return w.finish();
  }

  private missing(name: string): never {
    throw new NinePError('ENOENT', `nothing exported as "${name}"`);
  }

  private getattr(f: Fid, w: Writer): Uint8Array {
    const st = f.exp ? lstatIn(f.exp, f.names) : LIST_STAT;
    // The list of exports is the guest's root's; a host file's owner is mapped (owner.ts).
    const [uid, gid] = f.exp ? [guestId(Number(st.uid), this.owner.uid), guestId(Number(st.gid), this.owner.gid)] : [0, 0];
    return w
      .u64(STATS_BASIC)
      .qid(qidOf(st))
      .u32(Number(st.mode))
      .u32(uid)
      .u32(gid)
      .u64(st.nlink)
      .u64(st.rdev)
      .u64(st.size)
      .u64(st.blksize)
      .u64(st.blocks)
      .u64(st.atimeNs / 1_000_000_000n)
      .u64(st.atimeNs % 1_000_000_000n)
      .u64(st.mtimeNs / 1_000_000_000n)
      .u64(st.mtimeNs % 1_000_000_000n)
      .u64(st.ctimeNs / 1_000_000_000n)
      .u64(st.ctimeNs % 1_000_000_000n)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .finish();
  }

  private setattr(f: Fid, r: Reader): void {
    const valid = r.u32();
    const mode = r.u32();
    const uid = r.u32();
    const gid = r.u32();
    const size = r.num();
    const atime = seconds(r.u64(), r.u64());
    const mtime = seconds(r.u64(), r.u64());
    if (valid & (SET.MODE | SET.UID | SET.GID | SET.SIZE | SET.ATIME | SET.MTIME)) this.writable(f);
    const path = this.path(f);
    const st = lstatIn(this.ex(f), f.names);
    const isLink = (Number(st.mode) & S_IFMT) === S_IFLNK;
    if (valid & SET.MODE && !isLink) chmodSync(path, mode & 0o7777);
    if (valid & (SET.UID | SET.GID)) {
      lchownSync(path, valid & SET.UID ? hostId(uid, this.owner.uid) : Number(st.uid), valid & SET.GID ? hostId(gid, this.owner.gid) : Number(st.gid));
    }
    if (valid & SET.SIZE) {
      if (isLink) throw new NinePError('EINVAL', 'truncating a symlink');
      truncateSync(path, size);
    }
    if (valid & (SET.ATIME | SET.MTIME)) {
      const now = Date.now() / 1000;
      const a = valid & SET.ATIME ? (valid & SET.ATIME_SET ? atime : now) : seconds(st.atimeNs / 1_000_000_000n, st.atimeNs % 1_000_000_000n);
      const m = valid & SET.MTIME ? (valid & SET.MTIME_SET ? mtime : now) : seconds(st.mtimeNs / 1_000_000_000n, st.mtimeNs % 1_000_000_000n);
      lutimesSync(path, a, m);
    }
  }

  private read(r: Reader, w: Writer, room: number): Uint8Array {
    const f = this.fid(r.u32());
    const offset = r.num();
    const count = Math.min(r.u32(), this.msize - IO_HEADER, room - IO_HEADER);
    if (f.fd === undefined) throw new NinePError('EBADF', 'fid not open for reading');
    const buf = new Uint8Array(Math.max(0, count));
    const n = readSync(f.fd, buf, 0, buf.length, offset);
    return w.u32(n).data(buf.subarray(0, n)).finish();
  }

  /** Entries from index `offset` on, as many as fit: qid[13] offset[8] type[1] name[s] each, offset being the next one's index. */
  private readdir(r: Reader, w: Writer, room: number): Uint8Array {
    const f = this.fid(r.u32());
    const offset = r.num();
    const count = Math.min(r.u32(), this.msize - IO_HEADER, room - IO_HEADER);
    if (!f.entries) throw new NinePError('EBADF', 'directory not open');
    if ((offset === 0 || !f.entries.length) && !f.exp) {
      const dots = ['.', '..'].map((name) => ({ name, qid: LIST_QID, type: DT_DIR }));
      const exports = [...this.exports].map(([name, exp]) => ({ name, qid: qidOf(lstatSync(exp.root, { bigint: true })), type: DT_DIR }));
      f.entries = [...dots, ...exports];
    } else if (offset === 0 || !f.entries.length) {
      const exp = this.ex(f);
      const list = ['.', '..', ...readdirSync(this.path(f))];
      f.entries = list.flatMap((name) => {
        try {
          const st = lstatIn(exp, name === '.' ? f.names : name === '..' ? f.names.slice(0, -1) : [...f.names, name]);
          return [{ name, qid: qidOf(st), type: direntType(st.mode) }];
        } catch {
          return []; // gone since the listing
        }
      });
    }
    const body = new Writer(0, 0);
    const start = body.length;
    for (let i = offset; i < f.entries.length; i++) {
      const e = f.entries[i]!;
      const size = 13 + 8 + 1 + 2 + new TextEncoder().encode(e.name).length;
      if (body.length - start + size > count) break;
      body
        .qid(e.qid)
        .u64(i + 1)
        .u8(e.type)
        .str(e.name);
    }
    const data = body.finish().subarray(start);
    return w.u32(data.length).data(data).finish();
  }

  /** Renames `names` to `name` in directory `dir`, and every fid under the old path follows it. */
  private move(exp: Export, names: string[], dir: Fid, name: string): void {
    if (dir.exp !== exp) throw new NinePError('EXDEV');
    const to = [...dir.names, checkName(name)];
    renameSync(hostPath(exp, names), this.child(dir, name));
    for (const f of this.fids.values()) {
      if (f.exp === exp && f.names.length >= names.length && names.every((n, i) => f.names[i] === n)) f.names = [...to, ...f.names.slice(names.length)];
    }
  }
}
