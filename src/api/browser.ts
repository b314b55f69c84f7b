// glassbox/browser: the Machine API for a browser page or worker. Create a
// machine with `Machine.create(opts, browserPlatform(base))`, where `base` is
// the URL serving core.wasm and guest/ (the files `npm run build:web` lays
// out in build/web/).

export { Machine, checkMemoryMiB, type RunState } from './machine.ts';
export { browserPlatform, type FetchProgress } from './browser-platform.ts';
export type { ExecSession } from './exec-session.ts';
export { KernelImageError } from '../boot/bzimage.ts';
export * from './types.ts';
