// glassbox as an npm package, tried as a user would: `npm pack`, install the
// tarball into an empty project, run the shipped example (it boots a guest
// through `glassbox/testing`), and type-check a consumer of all three entry
// points against the shipped declarations.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'glassbox-pack-'));
const app = join(work, 'app');
const npm = (args: string[], cwd: string) => execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package', () => {
  beforeAll(() => {
    // Not prepack's full rebuild: other test files run the core and the CLI from build/ meanwhile,
    // and setup already built them; only the library bundles in dist/ are this test's to make.
    npm(['run', 'build:lib'], root);
    npm(['pack', '--ignore-scripts', '--pack-destination', work], root);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack wrote no tarball into ${work}`);
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uses-glassbox', private: true, type: 'module' }));
    // The dependencies come from the npm cache the project's own install filled.
    npm(['install', join(work, tgz), '--prefer-offline', '--no-audit', '--no-fund'], app);
  }, 900_000);

  it('runs its example in an empty project: a guest boots and answers through glassbox/testing', () => {
    const r = spawnSync(process.execPath, [join(app, 'node_modules/glassbox/examples/kernel-test.mjs')], { cwd: app, encoding: 'utf8', timeout: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^kernel 6\.1\.\d+, 1 CPU, status 0, [\d.]+ s of guest time\n$/);
    expect(r.status).toBe(0);
  }, 300_000);

  it('ships declarations a TypeScript consumer of glassbox, glassbox/testing and glassbox/browser checks against', () => {
    const consumer = (nOfTests: string) =>
      [
        "import { runKernel, parseKtap, type KernelRunResult } from 'glassbox/testing';",
        "import { Machine } from 'glassbox';",
        "import { browserPlatform } from 'glassbox/browser';",
        "const r: Promise<KernelRunResult> = runKernel({ command: 'true', timeoutMs: 1000 });",
        `const n: ${nOfTests} = parseKtap('').tests.length;`,
        'void Machine.create; void browserPlatform; void r; void n;',
      ].join('\n');
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] },
        files: ['check.ts'],
      }),
    );
    const tsc = (source: string) => {
      writeFileSync(join(app, 'check.ts'), source);
      return spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { encoding: 'utf8', timeout: 120_000 });
    };
    expect(tsc(consumer('number')).stdout).toBe('');
    // The check is real: a wrong type is caught through the same declarations.
    expect(tsc(consumer('string')).stdout).toMatch(/check\.ts\(5,7\): error TS2322: Type 'number' is not assignable to type 'string'/);
  }, 300_000);
});
