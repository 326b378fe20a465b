// Attention: sdpa with biases, ALiBi, causal masks and probabilities against the float64 reference, and its
// errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, x3, x4, zeros } from './helpers.js';
import * as ref from './reference.js';

describeBuilds('attention', (pe) => {
  test('sdpa: plain, bias 3-D and 4-D, ALiBi mode and slopes inside the kernel, causal bottom-right, probs', () => {
    const [B, H, Q, K, D, Dv] = [2, 2, 3, 5, 4, 3];
    const q = ref.randomFloats(B * H * Q * D, 21), k = ref.randomFloats(B * H * K * D, 22), v = ref.randomFloats(B * H * K * Dv, 23);
    const T = (data, shape) => ({ data, shape });
    const args = [T(q, [B, H, Q, D]), T(k, [B, H, K, D]), T(v, [B, H, K, Dv])];
    const R = (o) => ref.sdpa([...q], [...k], [...v], [B, H, Q, K, D, Dv], o);
    const plain = pe.sdpa(...args, { returnProbs: true });
    assert.deepEqual(plain.out.shape, [B, H, Q, Dv]);
    assert.deepEqual(plain.probs.shape, [B, H, Q, K]);
    assertClose(plain.out.data, R().out, 'out');
    assertClose(plain.probs.data, R().probs, 'probs');
    assert.equal(pe.sdpa(...args).probs, undefined);
    const bias3 = ref.randomFloats(H * Q * K, 24);
    assertClose(pe.sdpa(...args, { bias: T(bias3, [H, Q, K]) }).out.data, R({ bias: [...bias3] }).out, 'bias 3-D');
    const bias4 = ref.randomFloats(B * H * Q * K, 25);
    assertClose(pe.sdpa(...args, { bias: T(bias4, [B, H, Q, K]) }).out.data, R({ bias: [...bias4], biasHasBatch: true }).out, 'bias 4-D');
    for (const alibi of ['causal', 'symmetric', 'key_only']) {
      assertClose(pe.sdpa(...args, { alibi, causal: true }).out.data, R({ alibi, causal: true }).out, `alibi ${alibi}`);
    }
    const slopes = Float32Array.from([0.3, 0.05]);
    assertClose(pe.sdpa(...args, { alibi: slopes }).out.data, R({ slopes: [...slopes] }).out, 'alibi slopes');
    const c = pe.sdpa(...args, { causal: true, returnProbs: true, scale: 0.7 });
    assertClose(c.out.data, R({ causal: true, scale: 0.7 }).out, 'causal');
    // Bottom-right: query 0 sits at position K − Q = 2, so keys 3 and 4 get zero weight.
    assert.equal(c.probs.data[3], 0);
    assert.equal(c.probs.data[4], 0);
    assertClose(pe.sdpa(...args, { causal: true, qOffset: 0 }).out.data, R({ causal: true, qOffset: 0 }).out, 'causal top-left');
    // A fully masked row (−∞ bias everywhere) gives zeros, never NaN.
    const masked = new Float32Array(H * Q * K).fill(-Infinity);
    const z = pe.sdpa(...args, { bias: T(masked, [H, Q, K]), returnProbs: true });
    assert.ok(z.out.data.every((x) => x === 0) && z.probs.data.every((x) => x === 0));
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: NaN }), 'NON_FINITE', /scale/);
    assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: 0 }), 'OUT_OF_RANGE', /scale must be > 0, got 0/);
  });

  test('sdpa: a negative default qOffset (qLen > kLen) is BAD_POSITION even without causal or ALiBi', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2)), 'BAD_POSITION', /^qOffset \(default kLen - qLen\).*-1/);
    assert.deepEqual(pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { qOffset: 0 }).out.shape, [1, 1, 3, 2]);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.sdpa(x4(1, 2, 1, 2), x4(1, 2, 1, 2), x4(1, 2, 1, 2), { alibi: Float32Array.from([NaN, 1]) }), 'NON_FINITE', /slope|alibi/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { scale: -1 }), 'OUT_OF_RANGE', /scale/);
    assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { causal: 'yes' }), 'OUT_OF_RANGE', /causal.*'yes'/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 3), x4(1, 2, 5, 4)), 'SHAPE_MISMATCH', /k\.shape/);
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 4, 4)), 'SHAPE_MISMATCH', /v\.shape/);
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 5, 4), { bias: x3(2, 3, 4) }), 'SHAPE_MISMATCH', /bias\.shape/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 4, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { causal: true }), 'BAD_POSITION', /q_offset|qOffset/);
  });
});
