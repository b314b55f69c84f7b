// npm run cpu:coverage [-- --cases N --seed S]   (or -- --corpus: the recorded corpus's coverage)
// Generates N differential cases and classifies each through the
// disassembler (not by the generator's own label), then prints every form of
// src/isa by category with its hit count, how many of those hits had a memory
// operand or a 16-bit operand/address size, the ModRM addressing shapes
// reached, and what is deliberately left out and why. Exits 1 when a form
// (or #UD probe, or addressing shape) the generator is meant to cover has no
// hit, or when the disassembler and the generator disagree on a case's form.

import { parseArgs } from 'node:util';
import { FORMS, type Category } from '../../src/isa/table.ts';
import { decode } from '../../src/isa/decode.ts';
import { disassemble } from '../../src/isa/disasm.ts';
import { generateCases, EXCLUDED, GENERATED_FORMS, UD_PROBES } from './generator.ts';
import { CODE_ADDR } from './case.ts';
import { loadCorpus, corpusCoverage, recordCommand } from './corpus.ts';
import { NATIVE32_ONLY } from './long-mode.ts';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '200000' }, seed: { type: 'string', default: '1' }, corpus: { type: 'boolean', default: false } },
});

// --corpus: what the recorded corpus covers instead (corpus.ts).
if (values.corpus) {
  const { meta, entries } = loadCorpus();
  const c = corpusCoverage(meta, entries);
  const only32 = new Map(NATIVE32_ONLY.map((f) => [f.id, f.why]));
  console.log(`cpu-coverage: the corpus recorded ${meta.recorded.slice(0, 10)} on ${meta.cpu.vendor} ${meta.cpu.modelName} by the ${meta.runner} runner: ${entries.length} cases`);
  for (const id of c.wanted) {
    const n = c.hits.get(id) ?? 0;
    const mark = n ? '' : c.native32Only.includes(id) ? `   (needs a 32-bit-capable host: ${only32.get(id)})` : '   <-- missing';
    console.log(`  ${String(n).padStart(8)}  ${id}${mark}`);
  }
  console.log(
    `\ncpu-coverage: ${c.wanted.length - c.missing.length - c.native32Only.length} of ${c.wanted.length} forms in the corpus, ` +
      `${c.native32Only.length} only a 32-bit-capable host can record (${recordCommand({ seed: 1, cases: 40_000, x87Cases: 12_000, sseCases: 12_000, mmxCases: 6_000, approxCases: 4_000 })} there), ${c.missing.length} missing`,
  );
  process.exit(c.missing.length ? 1 : 0);
}
const count = Number(values.cases);
const seed = Number(values.seed) >>> 0;
if (!Number.isInteger(count) || count < 1) throw new Error(`--cases must be a positive integer, got ${values.cases}`);

interface Tally {
  hits: number;
  memory: number;
  op16: number;
  ad16: number;
}
const tally = new Map<string, Tally>();
const bump = (id: string, memory: boolean, op16: boolean, ad16: boolean) => {
  const t = tally.get(id) ?? { hits: 0, memory: 0, op16: 0, ad16: 0 };
  t.hits++;
  if (memory) t.memory++;
  if (op16) t.op16++;
  if (ad16) t.ad16++;
  tally.set(id, t);
};

// ModRM shapes: "a32 mod=M rm=R" (rm=4 split by SIB: no index / no base), "a16 mod=M rm=R".
const shapes = new Map<string, number>();
const expectedShapes: string[] = [];
for (let mod = 0; mod < 3; mod++) {
  for (let rm = 0; rm < 8; rm++) {
    expectedShapes.push(`a16 mod=${mod} rm=${rm}`);
    if (rm !== 4) expectedShapes.push(`a32 mod=${mod} rm=${rm}`);
  }
  expectedShapes.push(`a32 mod=${mod} sib`, `a32 mod=${mod} sib no-index`);
}
expectedShapes.push('a32 mod=0 sib no-base');

const disagreements: string[] = [];
let disagreementCount = 0;
const CHUNK = 20_000;
for (let first = 0; first < count; first += CHUNK) {
  for (const [k, g] of generateCases(seed, Math.min(CHUNK, count - first), { first }).entries()) {
    const d = decode(g.case.code, 0, 32);
    const dis = disassemble(g.case.code, 0, { bits: 32, address: CODE_ADDR });
    // A probe is whatever has no form; everything else is named by the disassembler.
    const probe = g.form.startsWith('#UD');
    const id = probe && (dis.form === null || dis.invalid) ? g.form : dis.form;
    if (id !== g.form) {
      disagreementCount++;
      if (disagreements.length < 10) {
        const hex = Array.from(g.case.code, (b) => b.toString(16).padStart(2, '0')).join(' ');
        disagreements.push(`case ${first + k}: generated as ${g.form}, disassembled as ${dis.form ?? '(none)'}: ${hex}  ${dis.text}`);
      }
    }
    const m = d.modrm;
    const memory = !!m && m.mod !== 3 && d.form?.category !== 'x87';
    bump(id ?? '(none)', memory, d.op16, d.ad16);
    if (m && m.mod !== 3 && d.form && !d.form.operands.includes('Rd')) {
      let shape = `${d.ad16 ? 'a16' : 'a32'} mod=${m.mod} rm=${m.rm}`;
      if (!d.ad16 && m.rm === 4) shape = `a32 mod=${m.mod} sib${m.index < 0 ? ' no-index' : ''}`;
      shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      if (!d.ad16 && m.rm === 4 && m.base < 0) shapes.set('a32 mod=0 sib no-base', (shapes.get('a32 mod=0 sib no-base') ?? 0) + 1);
    }
  }
}

const generated = new Set(GENERATED_FORMS.map((f) => f.id));
const byCategory = new Map<Category | 'invalid', string[]>();
for (const f of FORMS) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f.id]);
byCategory.set(
  'invalid',
  UD_PROBES.map((p) => p.id),
);

const pct = (n: number, of: number) => (of ? `${Math.round((100 * n) / of)}%`.padStart(5) : '    -');
let missing = 0;
console.log(`cpu-coverage: ${count} cases from seed ${seed}`);
console.log(`${'hits'.padStart(10)}  ${'mem'.padStart(5)} ${'o16'.padStart(5)} ${'a16'.padStart(5)}  form`);
for (const [cat, ids] of byCategory) {
  console.log(`\n${cat} (${ids.length} ${cat === 'invalid' ? '#UD probes' : 'forms'})`);
  for (const id of ids) {
    const t = tally.get(id) ?? { hits: 0, memory: 0, op16: 0, ad16: 0 };
    const meant = generated.has(id) || cat === 'invalid';
    let mark = '';
    if (!meant) mark = '   (excluded)';
    else if (t.hits === 0) {
      mark = '   <-- never generated';
      missing++;
    }
    console.log(`  ${String(t.hits).padStart(8)}  ${pct(t.memory, t.hits)} ${pct(t.op16, t.hits)} ${pct(t.ad16, t.hits)}  ${id}${mark}`);
  }
}

console.log('\nModRM addressing shapes (memory operands)');
let missingShapes = 0;
for (const s of expectedShapes) {
  const n = shapes.get(s) ?? 0;
  if (n === 0) missingShapes++;
  console.log(`  ${String(n).padStart(8)}  ${s}${n === 0 ? '   <-- never generated' : ''}`);
}

console.log('\nnot compared with the host, by design:');
for (const e of EXCLUDED) console.log(`  ${e.forms.length > 6 ? `${e.forms.length} forms (${e.forms[0]}...)` : e.forms.join(', ')}: ${e.why}`);

if (disagreementCount) {
  console.log(`\n${disagreementCount} cases where the disassembler names another form than the generator:`);
  for (const l of disagreements) console.log(`  ${l}`);
}
const meant = GENERATED_FORMS.length + UD_PROBES.length;
console.log(
  `\ncpu-coverage: ${FORMS.length} forms in the table, ${meant} meant to be covered (with ${UD_PROBES.length} #UD probes), ` +
    `${missing} never generated, ${missingShapes} addressing shapes never generated, ${disagreementCount} classification disagreements`,
);
process.exitCode = missing > 0 || missingShapes > 0 || disagreementCount > 0 ? 1 : 0;
