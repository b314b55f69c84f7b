// The removal of every stopped container, for `container prune` and for
// `system prune`'s first half: one list and one removal, each failure
// reported in Docker's words while the rest go on.

import { glassboxHome } from '../home.ts';
import { engineRunning } from '../daemon/client.ts';
import { call } from './engine-call.ts';
import type { Listed } from './docker-views.ts';

/**
 * Removes the engine's exited containers and returns their IDs. With
 * `startEngine` false (system prune), no engine running means no container
 * to remove; with it (container prune), the engine is started as for any
 * container command.
 */
export async function removeStoppedContainers(startEngine: boolean): Promise<string[]> {
  if (!startEngine && !(await engineRunning(glassboxHome()))) return [];
  const list = await call<Listed[]>({ op: 'ps', all: true });
  const gone: string[] = [];
  for (const c of (list ?? []).filter((c) => c.state.status === 'exited')) {
    if ((await call({ op: 'rm', container: c.id, force: false })) !== undefined) gone.push(c.id);
  }
  return gone;
}
