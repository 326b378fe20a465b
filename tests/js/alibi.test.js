// ALiBi: alibiSlopes, alibiBias and ALiBiPositionalEncoding against the float64 reference and the authors'
// hand lists, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds } from './helpers.js';
import * as ref from './reference.js';

describeBuilds('alibi', (pe) => {
  test('alibiSlopes: the hand lists of the ALiBi paper and the authors\' get_slopes for n = 1…64', () => {
    const s8 = pe.alibiSlopes(8);
    assert.ok(s8 instanceof Float32Array);
    assertClose(s8, [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256], 'n = 8');
    assertClose(pe.alibiSlopes(3), [2 ** -4, 2 ** -8, 2 ** -2], 'n = 3');
    assertClose(pe.alibiSlopes(12), [...Array.from({ length: 8 }, (_, i) => 2 ** -(i + 1)), 2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5], 'n = 12');
    for (let n = 1; n <= 64; ++n) assertClose(pe.alibiSlopes(n), ref.alibiSlopes(n), `n = ${n}`);
  });

  test('alibiBias in the three modes, default and explicit qOffset', () => {
    for (const mode of ['causal', 'symmetric', 'key_only']) {
      const got = pe.alibiBias(6, 3, 7, { mode });
      assert.deepEqual(got.shape, [6, 3, 7]);
      assertClose(got.data, ref.alibiBias(6, 3, 7, { mode }), mode);
      assertClose(pe.alibiBias(4, 5, 5, { mode, qOffset: 1 }).data, ref.alibiBias(4, 5, 5, { mode, qOffset: 1 }), `${mode} qOffset 1`);
    }
    // One head: slope 2^-8; the query sits at position 2, so keys 0, 1, 2 get −2m, −m, 0.
    assertClose(pe.alibiBias(1, 1, 3).data, [-2 / 256, -1 / 256, 0], 'one head, last query');
  });

  test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
    assertCode(() => pe.alibiBias(2, 3, 2), 'BAD_POSITION', /^qOffset .*-1/);
  });

  test('BAD_HEADS: zero, negative or fractional head counts', () => {
    assertCode(() => pe.alibiSlopes(0), 'BAD_HEADS', /numHeads.*0/);
    assertCode(() => pe.alibiSlopes(2.5), 'BAD_HEADS', /numHeads.*2\.5/);
    assertCode(() => pe.alibiBias(-1, 2, 2), 'BAD_HEADS', /numHeads.*-1/);
    assertCode(() => new pe.ALiBiPositionalEncoding({ numHeads: 0 }), 'BAD_HEADS', /numHeads/);
  });

  test('BAD_SIZE: zero, negative or fractional sizes, in arguments and in shapes', () => {
    assertCode(() => pe.alibiBias(2, 0, 3), 'BAD_SIZE', /qLen/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.alibiBias(2, 2, 2, { mode: 'decoder' }), 'OUT_OF_RANGE', /mode.*'decoder'/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.alibiBias(2, 5, 3), 'BAD_POSITION', /q_offset|qOffset/);
    assertCode(() => pe.alibiBias(2, 2, 3, { qOffset: -1 }), 'BAD_POSITION', /qOffset.*-1/);
  });

  test('ALiBiPositionalEncoding: bias slices the causal cache, also beyond maxLen; forward adds it', () => {
    const m = new pe.ALiBiPositionalEncoding({ numHeads: 6, maxLen: 8 });
    try {
      assertClose(m.bias(3, 5).data, ref.alibiBias(6, 3, 5), 'inside the cache');
      assertClose(m.bias(2, 20).data, ref.alibiBias(6, 2, 20), 'beyond maxLen');
      assertClose(m.bias(2, 5, { qOffset: 0 }).data, ref.alibiBias(6, 2, 5, { qOffset: 0 }), 'qOffset 0');
      const scores = ref.randomFloats(2 * 6 * 3 * 4, 12);
      const bias = ref.alibiBias(6, 3, 4);
      assertClose(m.forward({ data: scores, shape: [2, 6, 3, 4] }).data, Array.from(scores, (s, i) => s + bias[i % bias.length]), 'forward');
      assertClose(m.stateDict().slopes.data, ref.alibiSlopes(6), 'slopes');
      m.eval().train();
      assertCode(() => m.forward({ data: scores, shape: [2, 3, 6, 4] }), 'SHAPE_MISMATCH', /numHeads = 6/);
    } finally {
      m.delete();
    }
  });
});
