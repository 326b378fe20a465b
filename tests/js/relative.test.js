// Relative position biases: t5Buckets, t5Bias and clippedRelativeBias against the float64 reference and
// hand values, their gradients against finite differences and the analytic float64 gradient, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, f32, gradientTensor, zeros } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('relative', (pe) => {
  test('clippedRelativeBias: table (2K+1, heads), default and explicit qOffset, K = 0', () => {
    const K = 3, heads = 2;
    const table = ref.randomFloats((2 * K + 1) * heads, 8);
    const got = pe.clippedRelativeBias({ data: table, shape: [2 * K + 1, heads] }, { qLen: 4, kLen: 9 });
    assert.deepEqual(got.shape, [heads, 4, 9]);
    assertClose(got.data, ref.clippedRelativeBias([...table], heads, K, 4, 9), 'default qOffset');
    const got2 = pe.clippedRelativeBias({ data: table, shape: [7, 2] }, { numHeads: 2, maxDistance: 3, qLen: 5, kLen: 5, qOffset: 2 });
    assertClose(got2.data, ref.clippedRelativeBias([...table], heads, K, 5, 5, 2), 'qOffset 2');
    const one = pe.clippedRelativeBias(f32([4, 5], [1, 2]), { maxDistance: 0, qLen: 2, kLen: 3 });
    assertClose(one.data, [4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5], 'K = 0');
  });

  test('t5Buckets: hand boundaries and the reference over rp ∈ [−300, 300]', () => {
    const rp = Int32Array.from({ length: 601 }, (_, i) => i - 300);
    for (const opts of [{}, { bidirectional: false }, { numBuckets: 16, maxDistance: 64 }, { numBuckets: 33, maxDistance: 50, bidirectional: false }]) {
      const got = pe.t5Buckets(rp, opts);
      assert.ok(got instanceof Int32Array);
      assert.deepEqual(Array.from(got), Array.from(rp, (r) => ref.t5Bucket(r, opts)), JSON.stringify(opts));
    }
    // Bidirectional defaults: 0 → 0, +1 → 17, −1 → 1, −7 → 7, −8 → 8, ±huge → last bucket of its half.
    assert.deepEqual(Array.from(pe.t5Buckets(Int32Array.from([0, 1, -1, -7, -8, -100000, 100000]))), [0, 17, 1, 7, 8, 15, 31]);
    // Decoder (unidirectional): future keys all map to bucket 0.
    assert.deepEqual(Array.from(pe.t5Buckets(Int32Array.from([1, 5, 1000]), { bidirectional: false })), [0, 0, 0]);
    const t = pe.t5Buckets({ data: Int32Array.from([0, 1, 2, 3]), shape: [2, 2] });
    assert.deepEqual(t.shape, [2, 2]);
  });

  test('t5Bias against the reference (encoder and decoder)', () => {
    const heads = 3;
    const table = ref.randomFloats(32 * heads, 14);
    for (const bidirectional of [true, false]) {
      const got = pe.t5Bias({ data: table, shape: [32, heads] }, { qLen: 5, kLen: 40, bidirectional });
      assert.deepEqual(got.shape, [heads, 5, 40]);
      assertClose(got.data, ref.t5Bias([...table], heads, 5, 40, { bidirectional }), `bidirectional ${bidirectional}`);
    }
    assertClose(pe.t5Bias({ data: table, shape: [32, heads] }, { qLen: 4, kLen: 4, qOffset: 0, maxDistance: 20 }).data,
      ref.t5Bias([...table], heads, 4, 4, { qOffset: 0, maxDistance: 20 }), 'maxDistance 20');
  });

  test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { maxDistance: 8 }), 'OUT_OF_RANGE', /^maxDistance .*got 8/);
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: 1, bidirectional: false }), 'OUT_OF_RANGE', /^numBuckets .*got 1/);
  });

  test('t5Bias: numBuckets is the table\'s row count; a different explicit one is SHAPE_MISMATCH', () => {
    assertCode(() => pe.t5Bias(zeros(32, 2), { numBuckets: 16, qLen: 1, kLen: 1 }), 'SHAPE_MISMATCH', /numBuckets = 16.*got 32/);
    assertCode(() => pe.t5Bias(zeros(32, 2), { numBuckets: 0, qLen: 1, kLen: 1 }), 'BAD_SIZE', /numBuckets.*0/);
    assert.deepEqual(pe.t5Bias(zeros(32, 2), { numBuckets: 32, qLen: 1, kLen: 3 }).shape, [2, 1, 3]);
  });

  test('BAD_HEADS: zero, negative or fractional head counts', () => {
    assertCode(() => pe.t5Bias(f32(new Array(64).fill(0), [32, 2]), { numHeads: 0, qLen: 1, kLen: 1 }), 'BAD_HEADS', /numHeads/);
  });

  test('BAD_SIZE: zero, negative or fractional sizes, in arguments and in shapes', () => {
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: -4 }), 'BAD_SIZE', /numBuckets/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: 2 }), 'OUT_OF_RANGE', /num_buckets|numBuckets|e\b/);
    assertCode(() => pe.t5Buckets(Int32Array.of(1), { maxDistance: 8 }), 'OUT_OF_RANGE', /max_distance|maxDistance/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.clippedRelativeBias(f32([1, 2, 3, 4], [4, 1]), { qLen: 1, kLen: 1 }), 'SHAPE_MISMATCH', /2·maxDistance\+1/);
  });
});

describeBuilds('relative gradient', (pe) => {
  test('t5BiasBackward and clippedRelativeBiasBackward: finite differences and the analytic reference (batched dBias too)', () => {
    const heads = 2, qLen = 3, kLen = 5;
    const dBias = gradientTensor([heads, qLen, kLen], 17);
    const t5 = gradientTensor([8, heads], 18);
    const t5Opts = { numBuckets: 8, maxDistance: 16, bidirectional: false };
    assertClose(pe.t5BiasBackward(dBias, t5Opts).data,
      grad.finiteDifference((v) => ref.t5Bias(v, heads, qLen, kLen, t5Opts), t5.data, dBias.data), 't5', GRADIENT_FD);
    const clipped = gradientTensor([5, heads], 19);
    assertClose(pe.clippedRelativeBiasBackward(dBias, { maxDistance: 2, qOffset: 1 }).data,
      grad.finiteDifference((v) => ref.clippedRelativeBias(v, heads, 2, qLen, kLen, 1), clipped.data, dBias.data), 'clipped', GRADIENT_FD);
    const big = gradientTensor([3, 4, 40, 60], 20);
    assertClose(pe.t5BiasBackward(big, { numBuckets: 16 }).data, grad.t5BiasBackward(big.data, 4, 40, 60, { numBuckets: 16 }), 't5 large', { abs: 1e-4, rel: 1e-5 });
    assertClose(pe.clippedRelativeBiasBackward(big, { maxDistance: 8, qOffset: 0 }).data,
      grad.clippedRelativeBiasBackward(big.data, 4, 8, 40, 60, 0), 'clipped large', { abs: 1e-4, rel: 1e-5 });
  });

  test('t5BiasBackward and clippedRelativeBiasBackward errors', () => {
    assertCode(() => pe.clippedRelativeBiasBackward(f32(new Float32Array(4), [1, 2, 2]), {}), 'BAD_SIZE', /maxDistance/);
    assertCode(() => pe.t5BiasBackward(f32(new Float32Array(4), [1, 2, 2]), { numBuckets: 2 }), 'OUT_OF_RANGE');
  });
});
