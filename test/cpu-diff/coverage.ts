// npm run cpu:coverage [-- --cases N --seed S]
// Counts how many generated cases hit each instruction form of
// src/isa/forms.ts, by category, and fails if any form has none. Also lists
// what is deliberately left out of the differential test, and why.

import { parseArgs } from 'node:util';
import { FORMS, NOT_DIFFERENTIAL, type Category } from '../../src/isa/forms.ts';
import { generateCases } from './generator.ts';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '200000' }, seed: { type: 'string', default: '1' } },
});
const count = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1) throw new Error(`--cases must be a positive integer, got ${values.cases}`);

const hits = new Map<string, number>(FORMS.map((f) => [f.id, 0]));
const CHUNK = 50_000;
for (let first = 0; first < count; first += CHUNK) {
  for (const g of generateCases(seed, Math.min(CHUNK, count - first), { first })) {
    hits.set(g.form, (hits.get(g.form) ?? 0) + 1);
  }
}

const byCategory = new Map<Category, string[]>();
for (const f of FORMS) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f.id]);
let zero = 0;
for (const [cat, ids] of byCategory) {
  console.log(`\n${cat} (${ids.length} forms)`);
  for (const id of ids) {
    const n = hits.get(id) ?? 0;
    if (n === 0) zero++;
    console.log(`  ${String(n).padStart(8)}  ${id}${n === 0 ? '   <-- never generated' : ''}`);
  }
}
console.log('\nnot compared with the host, by design:');
for (const x of NOT_DIFFERENTIAL) console.log(`  ${x.what}: ${x.why}`);
console.log(`\ncpu-coverage: ${FORMS.length} forms, ${count} cases, ${zero} forms never generated`);
process.exitCode = zero > 0 ? 1 : 0;
