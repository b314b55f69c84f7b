// Shows one system test's output from QEMU and from glassbox side by side:
//   npx tsx test/system/compare.ts NAME
// Lines that differ are marked with "|"; "sdm " lines are the program checking
// itself where QEMU does not model the SDM, so only glassbox must say "ok" there.

import { assemble, runGlassbox, runQemu } from './runner.ts';

const name = process.argv[2];
if (!name) {
  console.error('usage: npx tsx test/system/compare.ts NAME   (a file test/system/tests/NAME.asm)');
  process.exit(2);
}
const elf = assemble(name);
const q = (await runQemu(elf)).split('\n');
const g = runGlassbox(elf).split('\n');
const width = Math.max(20, ...q.map((l) => l.length));
console.log(`${'qemu-system-i386'.padEnd(width)}   glassbox`);
let differ = 0;
for (let i = 0; i < Math.max(q.length, g.length); i++) {
  const a = q[i] ?? '';
  const b = g[i] ?? '';
  if (a !== b && !a.startsWith('sdm ')) differ++;
  console.log(`${a.padEnd(width)} ${a === b ? ' ' : '|'} ${b}`);
}
process.exit(differ ? 1 : 0);
