// Writes asm/cpu/gen/opcode-attrs.ts, the core's per-opcode table (ModRM,
// immediate sizes, LOCK legality), from the form table in src/isa. Run by
// `npm run build:asm` before asc. The output is committed so the core builds
// from a checkout with asc alone and a change to it shows in review;
// test/isa/core-attrs.test.ts fails when it no longer matches the table.

import { fileURLToPath } from 'node:url';
import { renderOpcodeAttrs } from '../src/isa/core-attrs.ts';
import { writeIfChanged } from './write-if-changed.ts';

writeIfChanged(fileURLToPath(new URL('../asm/cpu/gen/opcode-attrs.ts', import.meta.url)), renderOpcodeAttrs());
