// Choosing one image from a multi-platform index: glassbox runs i386 Linux,
// which Docker names linux/386.

import { RegistryError } from './errors.ts';
import type { Descriptor } from '../store/oci.ts';

export const GLASSBOX_PLATFORM = { os: 'linux', architecture: '386' };

type PlatformDescriptor = Descriptor & { platform?: { os: string; architecture: string; variant?: string } };

const named = (p: PlatformDescriptor['platform']) => (p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : 'unknown');

/** The index entry for linux/386, or an error listing the platforms the index offers. */
export function choosePlatform(manifests: PlatformDescriptor[], what: string): Descriptor {
  const ours = manifests.find((m) => m.platform?.os === GLASSBOX_PLATFORM.os && m.platform.architecture === GLASSBOX_PLATFORM.architecture);
  if (ours) return ours;
  const offered = manifests.map((m) => named(m.platform)).filter((p) => p !== 'unknown/unknown');
  throw new RegistryError(`${what} has no linux/386 image; it offers ${offered.length ? offered.join(', ') : 'no platform'}`);
}
