// The guest glassbox boots when nothing else is asked for: the kernel and
// initramfs built in guest-images/ (see guest-images/README.md).

import { projectPath } from '../paths.ts';

export { DEFAULT_CMDLINE, DEFAULT_MEMORY_MIB, FREED_PAGES_ZEROED } from './guest-defaults.ts';
export const DEFAULT_KERNEL = projectPath('guest-images', 'dist', 'bzImage');
export const DEFAULT_INITRD = projectPath('guest-images', 'dist', 'initramfs.cpio.gz');
