// A booted guest in Node: the platform-neutral Guest with the core loaded
// from disk, and a driver that runs the machine until an agent request is
// answered.

import { coreModule } from '../core/load-node.ts';
import { Guest, type GuestOptions } from './guest.ts';

export type GuestSessionOptions = GuestOptions;

export class GuestSession extends Guest {
  constructor(opts: GuestSessionOptions) {
    super(coreModule(), opts);
  }

  /**
   * Runs the machine until `request` settles. Fails, naming `what`, if the
   * guest has not answered within `budget` instructions or powered off.
   */
  async drive<T>(request: Promise<T>, what: string, budget = 4_000_000_000): Promise<T> {
    let settled = false;
    request.then(() => (settled = true), () => (settled = true));
    const m = this.machine;
    for (let spent = 0; !settled; ) {
      if (spent > budget) throw new Error(`${what}: the guest agent did not answer within ${budget} instructions`);
      this.pumpInput();
      const before = m.core.instructions;
      if (m.run(2_000_000) === 'off') throw new Error(`${what}: the guest powered off before the agent answered`);
      spent += Number(m.core.instructions - before) + 1;
      await new Promise((r) => setImmediate(r));
    }
    return request;
  }
}
