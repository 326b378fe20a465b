// The package as a user installs it: `npm pack`, install the tarball into an empty folder (offline), import
// it from a plain Node script, and type-check a TypeScript example against the shipped index.d.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { installPackedPackage, repoRoot } from './pack.js';

describe('npm package', () => {
  let app;
  before(() => {
    app = installPackedPackage('posenc-node-');
  });
  after(() => rmSync(app.dir, { recursive: true, force: true }));

  test('the tarball holds only what a user needs', () => {
    // Every module of bindings/ ships (they import each other), and nothing else of the repo but dist/'s four files.
    const bindings = readdirSync(path.join(repoRoot, 'bindings')).filter((f) => f.endsWith('.js')).map((f) => `bindings/${f}`)
      .concat(readdirSync(path.join(repoRoot, 'bindings/types')).map((f) => `bindings/types/${f}`));
    const expected = ['LICENSE', 'README.md', ...bindings, 'bindings/index.d.ts',
      'dist/posenc_scalar.js', 'dist/posenc_scalar.wasm', 'dist/posenc_simd.js', 'dist/posenc_simd.wasm', 'package.json'];
    assert.deepEqual(app.files.filter((f) => f !== 'LICENSE').sort(), expected.filter((f) => f !== 'LICENSE').sort());
  });

  test('a Node script imports it with no flags and computes RoPE and ALiBi in both builds', () => {
    writeFileSync(path.join(app.dir, 'use.mjs'), `
      import { load } from 'posenc';
      const out = {};
      for (const simd of [true, false]) {
        const pe = await load({ simd });
        const q = pe.ropeForward({ data: Float32Array.of(1, 0), shape: [1, 1, 1, 2] }, { offset: 1 });
        const b = pe.alibiBias(2, 1, 3);
        out[simd ? 'simd' : 'scalar'] = { features: pe.features, rope: Array.from(q.data), alibi: Array.from(b.data) };
      }
      const auto = await load();
      out.auto = auto.features.simd;
      console.log(JSON.stringify(out));
    `);
    const result = JSON.parse(execFileSync(process.execPath, ['use.mjs'], { cwd: app.dir, encoding: 'utf8' }));
    for (const build of ['simd', 'scalar']) {
      const r = result[build];
      assert.equal(r.features.simd, build === 'simd');
      assert.ok(Math.abs(r.rope[0] - Math.cos(1)) < 1e-6 && Math.abs(r.rope[1] - Math.sin(1)) < 1e-6, `${build} rope ${r.rope}`);
      // Two heads, slopes 1/16 and 1/256; the query sits at position 2.
      const expected = [-2 / 16, -1 / 16, 0, -2 / 256, -1 / 256, 0];
      r.alibi.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-7, `${build} alibi ${r.alibi}`));
    }
    assert.equal(result.auto, true, 'Node 20 has SIMD128, so auto picks the SIMD build');
  });

  test('require() of the package works too (Node 20 require(esm) or a clear error)', () => {
    writeFileSync(path.join(app.dir, 'use.cjs'), `
      import('posenc').then(async ({ load }) => { const pe = await load(); console.log(pe.alibiSlopes(4).join(',')); });
    `);
    const out = execFileSync(process.execPath, ['use.cjs'], { cwd: app.dir, encoding: 'utf8' }).trim();
    assert.equal(out, '0.25,0.0625,0.015625,0.00390625');
  });

  test('TypeScript --strict compiles the documented usage against the shipped index.d.ts', () => {
    copyFileSync(path.join(repoRoot, 'tests/js/types/example.ts'), path.join(app.dir, 'example.ts'));
    copyFileSync(path.join(repoRoot, 'tests/js/types/tsconfig.json'), path.join(app.dir, 'tsconfig.json'));
    execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app.dir, encoding: 'utf8' });
  });
});
