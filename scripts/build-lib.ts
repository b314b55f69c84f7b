// `npm run build:lib`: the library as an npm package ships it, in dist/:
// ES modules for Node (`glassbox`, `glassbox/testing`, with the kernel pool's
// worker beside them, sharing chunks so a Machine is one class), one for the
// browser (`glassbox/browser`), and their type declarations.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectPath } from '../src/paths.ts';

const DIST = projectPath('dist');

/** Declarations keep the sources' `./x.ts` specifiers; a consumer resolves `./x.js` to `./x.d.ts`. */
function rewriteSpecifiers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) rewriteSpecifiers(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3'));
    }
  }
}

rmSync(DIST, { recursive: true, force: true });
const common = { bundle: true, format: 'esm', target: 'es2022', outdir: DIST, outExtension: { '.js': '.mjs' }, logLevel: 'warning' } as const;
await build({
  ...common,
  platform: 'node',
  packages: 'external',
  splitting: true,
  entryPoints: {
    index: projectPath('src/api/index.ts'),
    testing: projectPath('src/testing/index.ts'),
    'kernel-worker': projectPath('src/testing/kernel-worker.ts'),
  },
  chunkNames: 'chunks/[name]-[hash]',
});
await build({
  ...common,
  platform: 'browser',
  entryPoints: {
    browser: projectPath('src/api/browser.ts'),
    'testing-browser': projectPath('src/testing/browser-pool.ts'),
    'browser-kernel-worker': projectPath('src/testing/browser-kernel-worker.ts'),
  },
});
execFileSync(process.execPath, [projectPath('node_modules/typescript/bin/tsc'), '-p', projectPath('tsconfig.lib.json')], { stdio: 'inherit' });
rewriteSpecifiers(join(DIST, 'types'));
