// The one setup of the JS tests: both builds, a describe block per build with the loaded API, tolerance
// comparison with a readable report, error matchers and small tensor makers.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';

import { load } from 'posenc';

import { randomFloats, TOL } from './reference.js';

export { load };

// Both builds; POSENC_BUILDS=simd (or scalar) narrows a run while debugging.
export const BUILDS = [
  { name: 'simd', simd: true },
  { name: 'scalar', simd: false },
].filter((b) => !process.env.POSENC_BUILDS || process.env.POSENC_BUILDS.split(',').includes(b.name));

// describe(`${title} (${build} build)`) for each build; `pe` holds the loaded API once the block runs.
export function describeBuilds(title, body) {
  for (const build of BUILDS) {
    describe(`${title} (${build.name} build)`, () => {
      const pe = {};
      before(async () => {
        Object.assign(pe, await load({ simd: build.simd }));
      });
      body(pe, build);
    });
  }
}

// Element-wise |got − exp| ≤ abs + rel·|exp| (float32 storage); reports the count and the worst element.
export function assertClose(got, expected, what = 'values', { abs, rel } = TOL) {
  assert.equal(got.length, expected.length, `${what}: length ${got.length}, expected ${expected.length}`);
  let bad = 0, worst = -1, worstExcess = 0;
  for (let i = 0; i < got.length; ++i) {
    const g = Number(got[i]), e = Number(expected[i]);
    const excess = Math.abs(g - e) - (abs + rel * Math.abs(e));
    if (!(excess <= 0) && !(g === e)) {
      ++bad;
      if (!(excess <= worstExcess)) { worstExcess = excess; worst = i; }
    }
  }
  if (bad) assert.fail(`${what}: ${bad} of ${got.length} outside tolerance; worst at ${worst}: got ${got[worst]}, expected ${expected[worst]}`);
}

// fn throws an Error with this code and a message matching `pattern`.
export function assertCode(fn, code, pattern) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error, `expected an Error, got ${typeof e}: ${e}`);
    assert.equal(e.code, code, `code of "${e.message}"`);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

export const f32 = (data, shape) => ({ data: Float32Array.from(data), shape });
// A seeded random tensor {data, shape}, for the gradient checks.
export const gradientTensor = (shape, seed) => f32(randomFloats(shape.reduce((a, b) => a * b, 1), seed), shape);
// A float32 gradient against central differences (h = 1e-5) of the float64 forward, where float32 rounding
// dominates; and against the float64 analytic gradient.
export const GRADIENT_FD = { abs: 2e-4, rel: 2e-3 };
export const GRADIENT_EXACT = { abs: 2e-5, rel: 2e-4 };
export const x3 = (b, s, d) => ({ data: new Float32Array(b * s * d), shape: [b, s, d] });
export const x4 = (b, h, s, d, fill = 0) => ({ data: new Float32Array(b * h * s * d).fill(fill), shape: [b, h, s, d] });
export const zeros = (rows, cols) => ({ data: new Float32Array(rows * cols), shape: [rows, cols] });

export const dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose');
