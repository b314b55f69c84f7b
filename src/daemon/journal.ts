// The engine's container records in $GLASSBOX_HOME/containers.json, replaced
// by rename on every change, so an engine that crashes or is killed leaves
// the list of what it ran: the next engine shows those containers as lost
// instead of letting them vanish without a word.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerJournal, ContainerRecord } from '../containers/engine/containers.ts';

export const JOURNAL_NAME = 'containers.json';

export function fileJournal(home: string): ContainerJournal {
  const path = join(home, JOURNAL_NAME);
  return {
    load() {
      try {
        const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        return Array.isArray(v) ? v.filter((c): c is ContainerRecord => typeof c?.id === 'string' && typeof c?.name === 'string') : [];
      } catch {
        return [];
      }
    },
    save(records) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(records));
      renameSync(tmp, path);
    },
  };
}
