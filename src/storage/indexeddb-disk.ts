// A disk in IndexedDB, for browsers whose workers lack OPFS sync access
// handles. IndexedDB is asynchronous and the device is not, so the disk is
// worked on in memory (MemoryDisk: every block written so far, loaded when the
// disk opens) and each changed block is written behind, in one transaction
// per burst, as soon as the worker's event loop turns (the machine yields it
// between slices). A FLUSH cannot wait for that: what the guest wrote in the
// last moments before the tab closed may be lost, never a block torn (one
// block is one record). A write that IndexedDB refused (the site's quota
// used up) fails the guest's next request with the reason.

import type { BlockBackend } from '../devices/virtio/blk.ts';
import { browserRefusal, DiskError } from './disk-error.ts';
import { MemoryDisk } from './memory-disk.ts';

const DB_NAME = 'glassbox-disks';
const STORE = 'blocks';
/** The key of a disk's size record; its blocks are [name, 0], [name, 1]... */
const META = -1;

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('the transaction was aborted'));
  });
}

async function openDb(): Promise<IDBDatabase> {
  const req = indexedDB.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return done(req);
}

export class IndexedDbDisk implements BlockBackend {
  readonly readOnly = false;
  private readonly memory: MemoryDisk;
  private dirty = new Set<number>();
  /** Blocks in the transaction under way. */
  private writing = 0;
  /** Why the last write-behind failed, until a request is told. */
  private failed?: string;

  private constructor(
    readonly name: string,
    private readonly db: IDBDatabase,
    readonly size: number,
  ) {
    this.memory = new MemoryDisk(size);
    this.memory.onWrite = (b) => this.dirty.add(b);
  }

  /** Opens (or makes, `bytes` long) the disk `name`, its blocks read into memory. */
  static async open(name: string, bytes: number): Promise<IndexedDbDisk> {
    if (typeof indexedDB === 'undefined') throw new DiskError(`browser disk ${name}: this browser has neither OPFS sync access handles nor IndexedDB`);
    let db: IDBDatabase;
    try {
      db = await openDb();
    } catch (e) {
      throw new DiskError(`browser disk ${name}: IndexedDB cannot be opened: ${(e as Error).message}`);
    }
    const tx = db.transaction(STORE, 'readwrite');
    const store = tx.objectStore(STORE);
    const meta = (await done(store.get([name, META]))) as { bytes: number } | undefined;
    if (meta && meta.bytes !== bytes) {
      db.close();
      throw new DiskError(`browser disk ${name}: ${meta.bytes} bytes where ${bytes} were made; clear the site's data for a new one`);
    }
    if (!meta) store.put({ bytes }, [name, META]);
    const range = IDBKeyRange.bound([name, 0], [name, Infinity]);
    const [keys, blocks] = await Promise.all([done(store.getAllKeys(range)), done(store.getAll(range))]);
    await committed(tx);
    const disk = new IndexedDbDisk(name, db, bytes);
    keys.forEach((k, i) => disk.memory.blocks.set((k as [string, number])[1], blocks[i] as Uint8Array));
    return disk;
  }

  read(offset: number, into: Uint8Array): void {
    this.memory.read(offset, into);
  }

  write(offset: number, data: Uint8Array): void {
    this.check('writing');
    this.memory.write(offset, data);
    this.writeBehind();
  }

  /** Blocks written that IndexedDB has not yet stored: what a tab closed now would lose. */
  get unstored(): number {
    return this.dirty.size + this.writing;
  }

  /** Starts writing out what is not yet stored; IndexedDB commits it as the worker's event loop turns. */
  flush(): void {
    this.check('flushing');
    this.writeBehind();
  }

  private check(doing: string): void {
    if (this.failed === undefined) return;
    const why = this.failed;
    this.failed = undefined;
    throw new DiskError(`browser disk ${this.name}: ${doing}: an earlier write could not be stored: ${why}`);
  }

  private writeBehind(): void {
    if (this.writing || !this.dirty.size) return;
    this.writing = this.dirty.size;
    setTimeout(() => void this.store(), 0);
  }

  private async store(): Promise<void> {
    const batch = this.dirty;
    this.dirty = new Set();
    this.writing = batch.size;
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      // put() copies the block now (structured clone), so later writes to it are the next batch's.
      for (const b of batch) store.put(this.memory.blocks.get(b)!, [this.name, b]);
      await committed(tx);
    } catch (e) {
      this.failed = browserRefusal(e as Error);
      for (const b of batch) this.dirty.add(b); // tried again at the next write or flush, not in a loop
    } finally {
      this.writing = 0;
    }
    if (this.failed === undefined) this.writeBehind();
  }
}
