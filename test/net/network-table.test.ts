// The engine's table of container networks, and the user-defined ones kept
// between engines in $GLASSBOX_HOME/networks.json: a second table (the next
// engine) read from the same home has them on the same subnets, forgets a
// removed one, and leaves out records it would not have made itself.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { NETWORKS_NAME, networkJournal } from '../../src/daemon/journal.ts';
import { NetworkTable } from '../../src/containers/engine/networks.ts';

const names = (t: NetworkTable) => t.list().map((n) => `${n.name} ${n.subnet}`);

test('user-defined networks outlive the table that made them; the default one is never kept', () => {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-networks-'));
  const first = new NetworkTable(networkJournal(home));
  first.create('app');
  first.create('db');
  first.remove('app');
  first.create('web'); // takes app's freed subnet
  const next = new NetworkTable(networkJournal(home));
  expect(names(next)).toEqual(['bridge 172.17.0.0/16', 'db 172.19.0.0/16', 'web 172.18.0.0/16']);
  expect(next.list().find((n) => n.name === 'db')!.created).toBe(first.list().find((n) => n.name === 'db')!.created);
  expect(() => next.create('db')).toThrow('network with name db already exists');
  expect(JSON.parse(readFileSync(join(home, NETWORKS_NAME), 'utf8')).map((n: { name: string }) => n.name)).toEqual(['db', 'web']);
});

test('records a table would not make are left out: a bad name, a mode, a subnet out of range or taken twice, a broken file', () => {
  const home = mkdtempSync(join(tmpdir(), 'glassbox-networks-'));
  const at = (name: string, index: number) => ({ name, index, created: '2026-01-01T00:00:00.000Z' });
  writeFileSync(
    join(home, NETWORKS_NAME),
    JSON.stringify([at('ok', 3), at('-bad', 4), at('host', 5), at('bridge', 6), at('zero', 0), at('far', 15), at('twice', 3), { name: 'noindex' }]),
  );
  expect(names(new NetworkTable(networkJournal(home)))).toEqual(['bridge 172.17.0.0/16', 'ok 172.20.0.0/16']);
  writeFileSync(join(home, NETWORKS_NAME), '{not json');
  expect(names(new NetworkTable(networkJournal(home)))).toEqual(['bridge 172.17.0.0/16']);
});
