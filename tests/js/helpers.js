// Shared helpers of the JS tests: both builds, tolerance comparison with a readable report, error matchers.
import assert from 'node:assert/strict';

import { TOL } from './reference.js';

export { load } from 'posenc';

// Both builds; POSENC_BUILDS=simd (or scalar) narrows a run while debugging.
export const BUILDS = [
  { name: 'simd', simd: true },
  { name: 'scalar', simd: false },
].filter((b) => !process.env.POSENC_BUILDS || process.env.POSENC_BUILDS.split(',').includes(b.name));

// Element-wise |got − exp| ≤ abs + rel·|exp| (SPEC §11); reports the count and the worst element.
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
