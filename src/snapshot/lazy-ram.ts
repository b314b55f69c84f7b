// Guest RAM filled on demand, and forks that share their parent's pages
// until one side writes them.
//
// Touching fresh memory is what a restore or a fork costs: the host's kernel
// maps every page on its first write (about 27 µs a page on the PVM host the
// benchmarks run on, so 200 ms for the 30 MB a booted guest holds), and
// copying or inflating it all up front pays that for pages the guest may
// never look at again. So a restored or forked machine starts with its RAM
// absent: the core asks for a page (RamPager.pageIn) the first time an access
// reaches it, and the page is copied from its source then.
//
// A fork's source is its parent as it was at the fork (ForkView). The parent
// goes on with its own memory; before it first writes a page a fork may still
// read, the core tells it (WATCH_WRITE, RamPager.pageWrite) and the view keeps
// the page as it was. So a fork costs a new core and two passes over one byte
// per page, whatever the RAM holds.

import { WATCH_ABSENT, WATCH_WRITE, type Core, type RamPager } from '../core/core.ts';
import { PAGE_SIZE, type PageSource } from './ram.ts';

/** Guest RAM pages as they were at some moment, immutable. */
const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/** A parent's RAM as it was at a fork: pages kept before the parent wrote them, the rest read from the parent. */
class ForkView implements PageSource {
  /** Pages the parent has written since the fork, as they were before. */
  readonly kept = new Map<number, Uint8Array>();

  /**
   * `absent` is the parent's WATCH_ABSENT bits at the fork: those pages
   * the parent had not filled yet, and they are its source's.
   */
  constructor(
    private readonly parent: Core,
    private readonly parentSource: PageSource | undefined,
    private readonly absent: Uint8Array,
  ) {}

  /** Whether the view reads page `page` from the parent's live memory (so it must be kept before the parent writes it). */
  readsParent(page: number): boolean {
    return !this.absent[page] && !this.kept.has(page);
  }

  page(page: number): Uint8Array | undefined {
    const kept = this.kept.get(page);
    if (kept) return kept === ZERO_PAGE ? undefined : kept;
    if (this.absent[page]) return this.parentSource?.page(page);
    // Zeros need no copy: the fork's page is zeros already.
    return this.parent.pageIsZero(page) ? undefined : this.parent.residentRam.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  }

  has(page: number): boolean {
    const kept = this.kept.get(page);
    if (kept) return kept !== ZERO_PAGE;
    return this.absent[page] ? (this.parentSource?.has(page) ?? false) : true;
  }
}

/** The pager of one core: fills its absent pages from `source`, and keeps pages for the forks made of it. */
export class LazyRam implements RamPager {
  private source?: PageSource;
  private absentLeft = 0;
  private watchedLeft = 0;
  /** The views of forks made from this machine; a view no fork holds any more is collected. */
  private views: WeakRef<ForkView>[] = [];

  private constructor(private readonly core: Core) {}

  /** The core's pager, made on first use. */
  static of(core: Core): LazyRam {
    if (core.pager instanceof LazyRam) return core.pager;
    if (core.pager) throw new Error('the core has another pager');
    const p = new LazyRam(core);
    core.pager = p;
    return p;
  }

  /**
   * Starts a core whose RAM is all zeros as a copy of `source`, filled page
   * by page as the guest reaches it. Call before the core runs.
   */
  static restore(core: Core, source: PageSource): void {
    const p = LazyRam.of(core);
    p.source = source;
    const watch = core.pageWatch;
    for (let i = 0; i < watch.length; i++) {
      if (!source.has(i)) continue;
      watch[i] |= WATCH_ABSENT;
      p.absentLeft++;
    }
    core.pagesWatched();
  }

  /**
   * This machine's RAM as it is now, for a fork: from here on, the first
   * write to each of its pages keeps the page as it was for the view.
   * Call with the machine stopped, right after saving its state.
   */
  static fork(core: Core): PageSource {
    const p = LazyRam.of(core);
    const watch = core.pageWatch;
    const absent = new Uint8Array(watch.length);
    for (let i = 0; i < watch.length; i++) {
      if (watch[i]! & WATCH_ABSENT) absent[i] = 1;
      else if (!(watch[i]! & WATCH_WRITE)) {
        watch[i] |= WATCH_WRITE;
        p.watchedLeft++;
      }
    }
    core.pagesWatched();
    const view = new ForkView(core, p.source, absent);
    p.views = p.views.filter((v) => v.deref());
    p.views.push(new WeakRef(view));
    return view;
  }

  /**
   * Page `page` of this machine as it is now, whether filled yet or not
   * (undefined: zeros), for a snapshot.
   */
  page(page: number): Uint8Array | undefined {
    if (this.core.pageWatch[page]! & WATCH_ABSENT) return this.source!.page(page);
    return this.core.pageIsZero(page) ? undefined : this.core.residentRam.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  }

  pageIn(page: number): void {
    const data = this.source!.page(page);
    if (data) this.core.residentRam.set(data, page * PAGE_SIZE);
    this.core.pageWatch[page] &= ~WATCH_ABSENT;
    this.absentLeft--;
  }

  pageWrite(page: number): void {
    this.core.pageWatch[page] &= ~WATCH_WRITE;
    this.watchedLeft--;
    let copy: Uint8Array | undefined;
    for (const ref of this.views) {
      const v = ref.deref();
      if (!v?.readsParent(page)) continue;
      copy ??= this.core.pageIsZero(page) ? ZERO_PAGE : this.core.residentRam.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
      v.kept.set(page, copy);
    }
  }

  settle(): void {
    if (!this.absentLeft && !this.watchedLeft) return;
    const watch = this.core.pageWatch;
    for (let i = 0; i < watch.length; i++) {
      if (watch[i]! & WATCH_ABSENT) this.pageIn(i);
      if (watch[i]! & WATCH_WRITE) this.pageWrite(i);
    }
  }
}
