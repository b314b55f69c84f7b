// tshark (Wireshark's dissectors) as the oracle for frames the stack wrote:
// it decodes a pcap with checksum validation on, independently of our code.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tsharkMissing(): string | null {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'tshark is not installed (Debian package tshark; scripts/setup.sh installs it)';
}

const CHECKSUMS = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE'].flatMap((o) => ['-o', o]);

/** The rows tshark prints for `fields` of the frames matching `filter`. */
export function tsharkFields(pcap: Uint8Array, filter: string, fields: string[]): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-pcap-'));
  try {
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, pcap);
    const args = ['-r', file, ...CHECKSUMS, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])];
    const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Frames tshark flags as malformed or with a bad checksum. */
export function tsharkErrors(pcap: Uint8Array): string[][] {
  return tsharkFields(pcap, '_ws.expert.severity == error || _ws.malformed', ['frame.number', '_ws.expert.message']);
}
