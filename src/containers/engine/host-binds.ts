// The host side of bind mounts (binds.ts): the directories the engine's 9p
// share exports, each checked on the host. Node only (node:fs).

import { hostExport, type Export } from '../../storage/ninep/host-tree.ts';
import { ShareError } from '../../storage/ninep/share-error.ts';
import { NinePFileServer } from '../../storage/ninep/server.ts';
import { bindName, type BindMount } from './binds.ts';
import { ContainerError } from './container-error.ts';

/** The host side: the directories the engine's share exports. */
export class HostBinds {
  private readonly exports = new Map<string, Export>();
  readonly server = new NinePFileServer(this.exports);

  /** Exports `b.source` (checked: an existing directory), so the guest can mount it. */
  add(b: BindMount): void {
    try {
      this.exports.set(bindName(b), hostExport(b.source, b.readOnly));
    } catch (e) {
      if (e instanceof ShareError) throw new ContainerError(`-v ${b.source}:${b.destination}: ${e.message}`);
      throw e;
    }
  }
}
