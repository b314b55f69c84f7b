import { Machine } from '../src/api/index.ts';
import { Translator } from '../src/core/jit/translator.ts';
let log: { host: number; mode: number; slot: number }[] | null = null;
const orig = Translator.prototype.compile;
let starts = 0, repeat = 0; const seenReq = new Set<string>();
Translator.prototype.compile = function (host: number, mode: number) {
  if (log) {
    const list = (this as any).byPage.get((host - (this as any).core.ramBase) >>> 12) ?? [];
    if (list.some((r: any) => r.mode === mode && !r.gone && r.blocks.includes(host & 0xfff))) starts++;
    const k = `${host}:${mode}`; if (seenReq.has(k)) repeat++; seenReq.add(k);
  }
  const slot = orig.call(this, host, mode);
  log?.push({ host, mode, slot });
  return slot;
};
const m = await Machine.create({ clock: 'virtual', jit: 'on' });
m.start();
await m.waitFor('/ # ', { timeoutMs: 600000 });
m.serial.write('i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo looped-$i\n');
await m.waitFor('looped-2000', { timeoutMs: 600000 });
await m.pc.core.jitSettled();
const s0 = m.pc.core.jitStats;
log = [];
m.serial.write('i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo looped-$i\n');
await m.waitFor('looped-20000', { timeoutMs: 600000 });
m.stop();
const s = m.pc.core.jitStats;
const d = (k: string) => (s as any)[k] - (s0 as any)[k];
console.log(`requests at a live region's block start: ${starts}; at an entry asked for before in the loop: ${repeat}`);
console.log(`loop: compiled ${d('compiled')}, requests ${log.length} (busy ${log.filter((l) => l.slot === 0xfffffffd).length}), translated ${(d('translatedInstructions') / d('instructions')).toFixed(3)} of ${d('instructions')}, entered ${d('entered')}, chained ${d('chained')}`);
const byPage = new Map<string, number>();
for (const l of log) if (l.slot !== 0xfffffffd) { const k = `${l.mode === 3 ? 'user' : 'kern'} page ${((l.host - 0) >>> 12).toString(16)}`; byPage.set(k, (byPage.get(k) ?? 0) + 1); }
console.log([...byPage].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${k}: ${v}`).join('\n'));
process.exit();
