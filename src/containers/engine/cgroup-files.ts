// The one reader of cgroup v2 files, for the engine's stats and the
// inspector's cgroup tree alike: a guest shell function that prints a
// cgroup's files as key=value lines with shell builtins only (no process per
// file, so a tree of cgroups costs one script), and the host's reading of
// them. Keys are the file names; a flat-keyed file (memory.events, cpu.stat)
// gives FILE.KEY; io.stat gives one line per device, summed here.

import { code, fields } from '../../api/shell-script.ts';

/** The single-value files read, each as NAME=VALUE when the cgroup has it. */
const VALUE_FILES = 'memory.current memory.max memory.peak pids.current pids.max cpu.max';
/** The flat-keyed files, each line as FILE.KEY=VALUE. */
const KEYED_FILES = 'memory.events pids.events cpu.stat';

/** gb_cgroup DIR: DIR's figures as key=value lines, procs= the number of its processes, io.stat.DEVICE= a line of io.stat each. */
export const CGROUP_READER = code(
  [
    'gb_cgroup() {',
    `  for f in ${VALUE_FILES}; do`,
    '    [ -r "$1/$f" ] && read -r v < "$1/$f" && echo "$f=$v"',
    '  done',
    `  for f in ${KEYED_FILES}; do`,
    '    [ -r "$1/$f" ] && while read -r k v; do echo "$f.$k=$v"; done < "$1/$f"',
    '  done',
    '  [ -r "$1/io.stat" ] && while read -r dev v; do echo "io.stat.$dev=$v"; done < "$1/io.stat"',
    '  n=0; while read -r _; do n=$((n+1)); done 2>/dev/null < "$1/cgroup.procs"',
    '  echo "procs=$n"',
    '}',
  ].join('\n'),
);

/** gb_cgroup's lines as figures: io.stat's per-device lines ("rbytes=1 wbytes=2 ...") summed into io.stat.rbytes and so on. */
export function cgroupFigures(out: string): Record<string, string> {
  const f = fields(out);
  const io: Record<string, number> = {};
  for (const [k, v] of Object.entries(f)) {
    if (!k.startsWith('io.stat.')) continue;
    delete f[k];
    for (const kv of v.split(' ')) {
      const [name, n] = kv.split('=');
      if (name && n !== undefined) io[name] = (io[name] ?? 0) + Number(n);
    }
  }
  for (const [name, n] of Object.entries(io)) f[`io.stat.${name}`] = String(n);
  return f;
}
