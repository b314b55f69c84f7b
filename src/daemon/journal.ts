// The engine's container records in $GLASSBOX_HOME/containers.json, replaced
// by rename on every change, so an engine that crashes or is killed leaves
// the list of what it ran: the next engine shows those containers as lost
// instead of letting them vanish without a word. The user-defined networks
// are kept the same way in networks.json, so the next engine has them again
// (their bridges in the guest are made when a container joins).

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerJournal, ContainerRecord } from '../containers/engine/containers.ts';
import type { NetworkStore, SavedNetwork } from '../containers/engine/networks.ts';

export const JOURNAL_NAME = 'containers.json';
export const NETWORKS_NAME = 'networks.json';

/** A list kept in a JSON file: what `keep` accepts of it is loaded (nothing when the file is missing or unreadable). */
function jsonList<T>(path: string, keep: (v: Partial<T> | null) => boolean): { load(): T[]; save(items: T[]): void } {
  return {
    load() {
      try {
        const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        return Array.isArray(v) ? (v.filter(keep) as T[]) : [];
      } catch {
        return [];
      }
    },
    save(items) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(items));
      renameSync(tmp, path);
    },
  };
}

export function fileJournal(home: string): ContainerJournal {
  return jsonList<ContainerRecord>(join(home, JOURNAL_NAME), (c) => typeof c?.id === 'string' && typeof c?.name === 'string');
}

export function networkJournal(home: string): NetworkStore {
  return jsonList<SavedNetwork>(join(home, NETWORKS_NAME), (n) => typeof n?.name === 'string' && Number.isInteger(n?.index) && typeof n?.created === 'string');
}
