// What the build ships for the page besides its scripts (scripts/web.ts lays
// it out), named where both the page and its worker need the name.

/** The booted default guest the tab resumes from. */
export const SHIPPED_SNAPSHOT = 'guest/default.snap';

/** The page's query parameter that asks for a boot from the kernel instead (bench:web's "booting" row). */
export const BOOT_PARAM = 'boot';

/** The page's globals: the worker index.html starts before the page's own script loads (the page takes it over), and the machine's proxy. */
export interface PageGlobals {
  glassboxWorker?: Worker;
  glassbox?: unknown;
}
