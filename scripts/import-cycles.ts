// Import cycles in the core and the host (`npm run cycles`).
//
// Two kinds are refused: a cycle between files (in asm/ or src/), which
// makes initialisation order matter and hides which file owns a helper;
// and a cycle between src/'s top-level directories (its layers: core,
// devices, machine, containers, inspect, ...), which means two layers
// each reach into the other. Prints each cycle as a path and exits 1 if
// there is any; exits 0 with one line otherwise.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface ImportGraph {
  /** file (relative to the root) -> the files it imports */
  edges: Map<string, Set<string>>;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The module specifiers a file imports or re-exports, static or dynamic.
 * (TypeScript 7 has no parser API in JavaScript; these forms are all the
 * code base uses.) Comment lines are skipped so prose cannot add an edge.
 */
function specifiers(text: string): string[] {
  const code = text
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const found: string[] = [];
  for (const m of code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) found.push(m[1]);
  return found;
}

/** The file a relative specifier names, as TypeScript with NodeNext would resolve it. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

export function importGraph(root: string, dirs: string[]): ImportGraph {
  const edges = new Map<string, Set<string>>();
  for (const dir of dirs) {
    for (const file of sourceFiles(join(root, dir))) {
      const targets = new Set<string>();
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        // `import type` cannot create an initialisation cycle, but it still
        // ties two layers together, so it counts.
        const target = resolveSpecifier(file, spec);
        if (target) targets.add(relative(root, target).split(sep).join('/'));
      }
      edges.set(relative(root, file).split(sep).join('/'), targets);
    }
  }
  return { edges };
}

/** Strongly connected components with more than one member (Tarjan). */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The graph between src/'s top-level directories (a file directly in src/ is its own layer). */
export function layerEdges(graph: ImportGraph): Map<string, Set<string>> {
  const layer = (file: string): string => file.split('/').slice(0, 2).join('/');
  const out = new Map<string, Set<string>>();
  for (const [from, targets] of graph.edges) {
    if (!from.startsWith('src/')) continue;
    const a = layer(from);
    if (!out.has(a)) out.set(a, new Set());
    for (const to of targets) {
      const b = layer(to);
      if (b !== a && to.startsWith('src/')) out.get(a)!.add(b);
    }
  }
  return out;
}

/** Which files make layer `a` import layer `b`, to say where a layer cycle comes from. */
function witnesses(graph: ImportGraph, a: string, b: string): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph.edges) {
    if (!from.startsWith(`${a}/`) && from !== a) continue;
    for (const to of targets) if (to.startsWith(`${b}/`) || to === b) out.push(`${from} -> ${to}`);
  }
  return out;
}

function main(): number {
  const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
  const graph = importGraph(root, ['asm', 'src']);
  const fileCycles = cycles(graph.edges);
  const layers = layerEdges(graph);
  const layerCycles = cycles(layers);
  for (const c of fileCycles) console.log(`file cycle: ${c.join(' <-> ')}`);
  for (const c of layerCycles) {
    console.log(`layer cycle: ${c.join(' <-> ')}`);
    for (const a of c) for (const b of c) if (a !== b && layers.get(a)?.has(b)) for (const w of witnesses(graph, a, b)) console.log(`  ${w}`);
  }
  const total = fileCycles.length + layerCycles.length;
  if (total === 0) {
    console.log(`cycles: none among ${graph.edges.size} files in asm/ and src/, nor between src/'s directories`);
    return 0;
  }
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = main();
}
