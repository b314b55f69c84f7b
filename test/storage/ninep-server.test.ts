// The 9P2000.L server on what Linux's v9fs never sends but a hostile guest
// can: walks up past the root, paths through host symlinks that lead out of
// the export, writes to a read-only export, malformed messages and unknown
// fids. Each gets an Rlerror with the host's own errno number for the
// reason (os.constants.errno: this host is Linux, the guest's numbering),
// and the host's files outside the export are untouched. And who owns the
// files: what the guest's root makes is the engine's user's on the host,
// and that user's files are root's in the guest (storage/ninep/owner.ts).

import { constants } from 'node:os';
import { chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { hostExport } from '../../src/storage/ninep/host-tree.ts';
import { NOBODY, type HostUser } from '../../src/storage/ninep/owner.ts';
import { NinePFileServer } from '../../src/storage/ninep/server.ts';
import { Reader, Writer } from '../../src/storage/ninep/wire.ts';

const E = constants.errno;
const dir = mkdtempSync(join(tmpdir(), 'glassbox-9p-server-'));
const share = join(dir, 'share');
const outside = join(dir, 'outside');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: NinePFileServer;
let tag = 0;

/** Sends a T-message built by `body`; the reply's type and a reader at its fields. */
function send(type: number, body: (w: Writer) => Writer, room = 65536): { type: number; r: Reader } {
  const reply = server.handle(body(new Writer(type, ++tag)).finish(), room);
  const r = new Reader(reply);
  expect(r.u32()).toBe(reply.length);
  const rtype = r.u8();
  expect(r.u16()).toBe(tag);
  return { type: rtype, r };
}

/** The errno of an Rlerror reply (failing if the reply is not one). */
function lerror(reply: { type: number; r: Reader }): number {
  expect(reply.type).toBe(7);
  return reply.r.u32();
}

const ok = (reply: { type: number; r: Reader }, type: number) => expect(reply.type).toBe(type + 1);
const walk = (fid: number, newfid: number, ...names: string[]) => send(110, (w) => names.reduce((w, n) => w.str(n), w.u32(fid).u32(newfid).u16(names.length)));

/** A server on `exports` (the share, as "", by default), its session begun and fid 1 attached to aname "". */
function start(readOnly = false, exports = new Map([['', hostExport(share, readOnly)]]), owner?: HostUser): void {
  server = new NinePFileServer(exports, owner);
  ok(
    send(100, (w) => w.u32(65536).str('9P2000.L')),
    100,
  );
  ok(
    send(104, (w) => w.u32(1).u32(0xffffffff).str('root').str('').u32(0)),
    104,
  );
}

beforeEach(() => {
  rmSync(share, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  mkdirSync(join(share, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'outside');
  symlinkSync(outside, join(share, 'out'));
});

describe('the 9P server against a hostile guest', () => {
  it('keeps ".." at the export root', () => {
    start();
    const root = walk(1, 9, '.');
    ok(root, 110);
    root.r.u16();
    const rootPath = (root.r.u8(), root.r.u32(), root.r.u64());
    // outside is the share's sibling on the host: from the root, ".." stays at the root, where there is no such name.
    const up = walk(1, 2, '..', '..', 'outside');
    ok(up, 110);
    expect(up.r.u16()).toBe(2); // a partial walk: the two ".." (both the root), and newfid is not made
    for (let i = 0; i < 2; i++) expect((up.r.u8(), up.r.u32(), up.r.u64())).toBe(rootPath);
    expect(lerror(send(120, (w) => w.u32(2)))).toBe(E.EBADF);
    ok(walk(1, 3, '..', 'sub'), 110);
  });

  it('never goes through a host symlink that leads out', () => {
    start();
    const w = walk(1, 2, 'out', 'secret');
    ok(w, 110);
    expect(w.r.u16()).toBe(1); // a partial walk: the link itself, and no further
    ok(walk(1, 3, 'out'), 110);
    expect(lerror(send(72, (w) => w.u32(3).str('made').u32(0o755).u32(0)))).toBe(E.EACCES);
    // A directory the guest walked to, swapped on the host for a link out of the share: refused, and nothing made outside.
    ok(walk(1, 4, 'sub'), 110);
    rmSync(join(share, 'sub'), { recursive: true });
    symlinkSync(outside, join(share, 'sub'));
    expect(lerror(send(14, (w) => w.u32(4).str('planted').u32(0o101).u32(0o644).u32(0)))).toBe(E.EACCES);
    expect(lerror(send(72, (w) => w.u32(4).str('planted').u32(0o755).u32(0)))).toBe(E.EACCES);
    expect(lerror(send(12, (w) => w.u32(4).u32(0)))).toBe(E.ELOOP); // the last name is never followed
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('refuses names that are not one path component', () => {
    start();
    for (const name of ['../outside', 'a/b', '..', '.', '']) {
      expect(lerror(send(72, (w) => w.u32(1).str(name).u32(0o755).u32(0))), name).toBe(E.EINVAL);
    }
    expect(readdirSync(dir).sort()).toEqual(['outside', 'share']);
  });

  it('refuses every write to a read-only export with EROFS', () => {
    writeFileSync(join(share, 'f'), 'kept');
    start(true);
    ok(walk(1, 2, 'f'), 110);
    expect(lerror(send(12, (w) => w.u32(2).u32(2)))).toBe(E.EROFS); // O_RDWR
    expect(lerror(send(12, (w) => w.u32(2).u32(0o1000)))).toBe(E.EROFS); // O_TRUNC
    expect(lerror(send(26, (w) => w.u32(2).u32(8).u32(0).u32(0).u32(0).u64(0).u64(0).u64(0).u64(0).u64(0)))).toBe(E.EROFS); // truncate
    expect(lerror(send(76, (w) => w.u32(1).str('f').u32(0)))).toBe(E.EROFS);
    expect(lerror(send(72, (w) => w.u32(1).str('d').u32(0o755).u32(0)))).toBe(E.EROFS);
    expect(lerror(send(74, (w) => w.u32(1).str('f').u32(1).str('g')))).toBe(E.EROFS);
    ok(
      send(12, (w) => w.u32(2).u32(0)),
      12,
    ); // reading is fine
    ok(
      send(116, (w) => w.u32(2).u64(0).u32(100)),
      116,
    );
    expect(readdirSync(share).sort()).toEqual(['f', 'out', 'sub']);
  });

  it('lists several exports under aname "", each confined and read-only or not on its own', () => {
    mkdirSync(join(dir, 'other'), { recursive: true });
    start(
      false,
      new Map([
        ['one', hostExport(share)],
        ['two', hostExport(join(dir, 'other'), true)],
      ]),
    );
    ok(
      send(12, (w) => w.u32(1).u32(0)),
      12,
    );
    const list = send(40, (w) => w.u32(1).u64(0).u32(4096));
    ok(list, 40);
    const data = list.r.data(list.r.u32());
    const names: string[] = [];
    for (const e = new Reader(data); names.length < 4; ) {
      e.data(13 + 8 + 1);
      names.push(e.str());
    }
    expect(names).toEqual(['.', '..', 'one', 'two']);
    // Nothing can be made in the list, nothing but an export found in it, and ".." from an export's root stays there.
    expect(lerror(send(72, (w) => w.u32(1).str('new').u32(0o755).u32(0)))).toBe(E.EROFS);
    expect(lerror(walk(1, 2, 'three'))).toBe(E.ENOENT);
    ok(walk(1, 3, 'one', '..', 'sub'), 110);
    ok(walk(1, 4, 'two'), 110);
    expect(lerror(send(72, (w) => w.u32(4).str('d').u32(0o755).u32(0)))).toBe(E.EROFS);
    ok(
      send(72, (w) => w.u32(3).str('d').u32(0o755).u32(0)),
      72,
    );
    expect(readdirSync(join(share, 'sub'))).toEqual(['d']);
    expect(readdirSync(join(dir, 'other'))).toEqual([]);
    expect(lerror(send(104, (w) => w.u32(9).u32(0xffffffff).str('root').str('nosuch').u32(0)))).toBe(E.ENOENT);
  });

  it('answers malformed messages and unknown fids with Rlerror', () => {
    start();
    const raw = (bytes: number[]) => {
      const reply = server.handle(new Uint8Array(bytes), 4096);
      expect(reply[4]).toBe(7);
      return new DataView(reply.buffer).getUint32(7, true);
    };
    expect(raw([1, 2, 3])).toBe(E.EPROTO);
    expect(raw([99, 0, 0, 0, 120, 1, 0, 1, 0, 0, 0])).toBe(E.EPROTO); // size beyond the bytes
    expect(raw([9, 0, 0, 0, 120, 1, 0, 1, 0])).toBe(E.EPROTO); // Tclunk cut short
    expect(lerror(send(120, (w) => w.u32(77)))).toBe(E.EBADF);
    expect(lerror(send(116, (w) => w.u32(1).u64(0).u32(10)))).toBe(E.EBADF); // not opened
    expect(
      lerror(
        send(116, (w) =>
          w
            .u32(1)
            .u64(2n ** 63n)
            .u32(10),
        ),
      ),
    ).toBe(E.EPROTO); // an offset past 2^53
    expect(lerror(send(99, (w) => w))).toBe(E.EOPNOTSUPP);
    expect(lerror(walk(1, 1, ...Array.from({ length: 17 }, () => 'sub')))).toBe(E.EINVAL);
    // A reply that would not fit the guest's buffers is an error that does.
    ok(walk(1, 5, 'sub'), 110);
    expect(lerror(send(24, (w) => w.u32(5).u64(0x7ff), 64))).toBe(E.EMSGSIZE);
  });
});

/** The uid and gid getattr gives the guest for `names` (walked from the root as fid 20). */
function guestOwner(...names: string[]): [number, number] {
  ok(walk(1, 20, ...names), 110);
  const reply = send(24, (w) => w.u32(20).u64(0x7ff));
  ok(reply, 24);
  reply.r.u64(); // valid
  reply.r.u8(), reply.r.u32(), reply.r.u64(); // qid
  reply.r.u32(); // mode
  const owner: [number, number] = [reply.r.u32(), reply.r.u32()];
  ok(
    send(120, (w) => w.u32(20)),
    120,
  );
  return owner;
}

const hostOwner = (name: string) => {
  const st = lstatSync(join(share, name));
  return [st.uid, st.gid];
};

/** A chown by the guest (Tsetattr with uid and gid valid). */
const chown = (fid: number, uid: number, gid: number) =>
  send(26, (w) =>
    w
      .u32(fid)
      .u32(2 | 4)
      .u32(0)
      .u32(uid)
      .u32(gid)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0)
      .u64(0),
  );

describe("the owner of a share's files", () => {
  // Handing files to another user is what only root may do: the test plays the engine run by root for a user.
  const asRoot = process.geteuid?.() === 0;
  const user: HostUser = { uid: 4321, gid: 4322 };

  it.skipIf(!asRoot)(`is the host user the guest's root stands for, both ways${asRoot ? '' : ' (skipped: needs root to make files of another user)'}`, () => {
    writeFileSync(join(share, 'hosts-root'), 'x');
    writeFileSync(join(share, 'someone'), 'x');
    chownSync(join(share, 'someone'), 1000, 1001);
    start(false, undefined, user);
    // Made by the guest (a file, a directory, a symlink): the user's on the host, root's in the guest.
    ok(walk(1, 2), 110);
    ok(
      send(14, (w) => w.u32(2).str('made').u32(0o101).u32(0o644).u32(0)),
      14,
    );
    ok(
      send(72, (w) => w.u32(1).str('dir').u32(0o755).u32(0)),
      72,
    );
    ok(
      send(16, (w) => w.u32(1).str('link').str('made').u32(0)),
      16,
    );
    for (const name of ['made', 'dir', 'link']) {
      expect(hostOwner(name), name).toEqual([user.uid, user.gid]);
      expect(guestOwner(name), name).toEqual([0, 0]);
    }
    // The host's root is nobody in the guest; anyone else is the same number.
    expect(guestOwner('hosts-root')).toEqual([NOBODY, NOBODY]);
    expect(guestOwner('someone')).toEqual([1000, 1001]);
    // Opening an existing file with O_CREAT does not take it from its owner.
    ok(walk(1, 3), 110);
    ok(
      send(14, (w) => w.u32(3).str('someone').u32(0o101).u32(0o644).u32(0)),
      14,
    );
    expect(hostOwner('someone')).toEqual([1000, 1001]);
    // The guest's root chowning to itself gives the file to the user; to another id, to that id.
    ok(walk(1, 4, 'hosts-root'), 110);
    ok(chown(4, 0, 0), 26);
    expect(hostOwner('hosts-root')).toEqual([user.uid, user.gid]);
    ok(chown(4, 1000, 1001), 26);
    expect(hostOwner('hosts-root')).toEqual([1000, 1001]);
  });

  it("maps nothing when the engine runs as the user it serves (its files are its root's)", () => {
    const self = { uid: process.geteuid!(), gid: process.getegid!() };
    start();
    ok(walk(1, 2), 110);
    ok(
      send(14, (w) => w.u32(2).str('mine').u32(0o101).u32(0o644).u32(0)),
      14,
    );
    expect(hostOwner('mine')).toEqual([self.uid, self.gid]);
    expect(guestOwner('mine')).toEqual([0, 0]);
  });
});
