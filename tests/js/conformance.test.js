// How an outside checker calls the package: DESIGN.md's names and camelCase options, one fault per error
// case. Each test here failed before the fix it guards (messages naming the C++ argument instead of the
// JS option, positions/out shapes not checked, t5Bias ignoring numBuckets, SPEC §10's order).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { BUILDS, assertClose, assertCode, f32, load } from './helpers.js';

const x3 = (b, s, d) => ({ data: new Float32Array(b * s * d), shape: [b, s, d] });
const x4 = (b, h, s, d) => ({ data: new Float32Array(b * h * s * d).fill(0.5), shape: [b, h, s, d] });
const zeros = (rows, cols) => ({ data: new Float32Array(rows * cols), shape: [rows, cols] });

for (const build of BUILDS) {
  describe(`conformance (${build.name} build)`, () => {
    let pe;
    before(async () => {
      pe = await load({ simd: build.simd });
    });

    test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
      assertCode(() => pe.ropeParams(5), 'ODD_DIM', /^dRot must be even, got 5/);
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { dRot: 6 }), 'ROT_DIM', /^dRot must be at most headDim = 4, got 6/);
      assertCode(() => pe.t5Buckets(Int32Array.of(1), { maxDistance: 8 }), 'OUT_OF_RANGE', /^maxDistance .*got 8/);
      assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: 1, bidirectional: false }), 'OUT_OF_RANGE', /^numBuckets .*got 1/);
      assertCode(() => pe.dropout(x3(1, 1, 4), { train: true, p: 0.5, keepMask: new Uint8Array(5) }), 'SHAPE_MISMATCH', /^keepMask .*got 5/);
      assertCode(() => pe.alibiBias(2, 3, 2), 'BAD_POSITION', /^qOffset .*-1/);
      assertCode(() => pe.ropeParams(8, { scaling: { type: 'dynamic', factor: 2 } }), 'BAD_SIZE', /^maxPositionEmbeddings /);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { offset: 400000 }), 'OUT_OF_RANGE', /scaleBase/);
      // Keys inside a rope_scaling object keep the config's snake_case.
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 0 } }),
        'BAD_SIZE', /scaling\.original_max_position_embeddings/);
    });

    test('positions given as a tensor must be shaped (seq,) or (batch, seq)', () => {
      const x = x4(2, 1, 3, 4);
      const wrong = { data: Int32Array.of(0, 1, 2, 3, 4, 5), shape: [3, 2] };
      assertCode(() => pe.ropeForward(x, { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape must be \[3\].*\[2, 3\].*got \[3, 2\]/);
      assertCode(() => pe.xposApply(x, { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape/);
      assertCode(() => pe.learnedForward(x3(2, 3, 4), zeros(8, 4), { positions: wrong }), 'SHAPE_MISMATCH', /positions\.shape/);
      assertCode(() => pe.ropeForward(x, { positions: { data: new Int32Array(6), shape: [6] } }), 'SHAPE_MISMATCH', /got \[6\]/);
      // The accepted forms agree with each other.
      const perRow = pe.ropeForward(x, { positions: { data: Int32Array.of(5, 6, 7, 5, 6, 7), shape: [2, 3] } }).data;
      assertClose(pe.ropeForward(x, { positions: { data: Int32Array.of(5, 6, 7), shape: [3] } }).data, perRow, '(seq,) tensor');
      assertClose(pe.ropeForward(x, { positions: Int32Array.of(5, 6, 7) }).data, perRow, 'bare (seq,)');
      assertClose(pe.ropeForward(x, { offset: 5 }).data, perRow, 'offset');
    });

    test('t5Bias: numBuckets is the table\'s row count; a different explicit one is SHAPE_MISMATCH', () => {
      assertCode(() => pe.t5Bias(zeros(32, 2), { numBuckets: 16, qLen: 1, kLen: 1 }), 'SHAPE_MISMATCH', /numBuckets = 16.*got 32/);
      assertCode(() => pe.t5Bias(zeros(32, 2), { numBuckets: 0, qLen: 1, kLen: 1 }), 'BAD_SIZE', /numBuckets.*0/);
      assert.deepEqual(pe.t5Bias(zeros(32, 2), { numBuckets: 32, qLen: 1, kLen: 3 }).shape, [2, 1, 3]);
    });

    test('out as {data, shape} must have the result\'s shape', () => {
      assertCode(() => pe.sinusoidalTable(2, 4, { out: { data: new Float32Array(8), shape: [4, 2] } }), 'SHAPE_MISMATCH', /out\.shape must be \[2, 4\], got \[4, 2\]/);
      const out = { data: new Float32Array(8), shape: [2, 4] };
      assert.equal(pe.sinusoidalTable(2, 4, { out }).data, out.data);
    });

    test('several faults: SPEC §10 order (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
      assertCode(() => pe.sinusoidalTable(0, 3, { base: NaN }), 'NON_FINITE', /base/);
      assertCode(() => pe.sinusoidalForward(x3(1, 3, 5), { p: NaN, maxLen: 0 }), 'NON_FINITE', /\bp\b/);
      assertCode(() => pe.sinusoidalForward({ data: new Float32Array(3), shape: [1, 3] }, { maxLen: 0 }), 'BAD_SIZE', /maxLen/);
      assertCode(() => pe.learnedForward(x3(1, 1, 4), zeros(4, 6), { eps: Infinity }), 'NON_FINITE', /eps/);
      assertCode(() => pe.ropeForward({ data: new Float32Array(2), shape: [2] }, { base: NaN }), 'NON_FINITE', /base/);
      assertCode(() => pe.ropeParams(0, { base: NaN }), 'NON_FINITE', /base/);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 3), { gamma: NaN }), 'NON_FINITE', /gamma/);
      assertCode(() => pe.dropout({ data: [1], shape: [1] }, { p: NaN }), 'NON_FINITE', /\bp\b/);
      assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: NaN }), 'NON_FINITE', /scale/);
      assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: 0 }), 'OUT_OF_RANGE', /scale must be > 0, got 0/);
    });

    test('sdpa: a negative default qOffset (qLen > kLen) is BAD_POSITION even without causal or ALiBi', () => {
      assertCode(() => pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2)), 'BAD_POSITION', /^qOffset \(default kLen - qLen\).*-1/);
      assert.deepEqual(pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { qOffset: 0 }).out.shape, [1, 1, 3, 2]);
    });

    test('GPT-OSS yarn (truncate false): hand-derived correction range 8.0928 … 17.3980 (SPEC P7)', () => {
      const scaling = { beta_fast: 32.0, beta_slow: 1.0, factor: 32.0, original_max_position_embeddings: 4096, rope_type: 'yarn', truncate: false };
      const { invFreq, attentionFactor } = pe.ropeParams(64, { base: 150000, scaling, maxPositionEmbeddings: 131072 });
      const lo = 8.092779115512402, hi = 17.39802450158856;
      const expected = Array.from({ length: 32 }, (_, j) => {
        const ramp = Math.min(Math.max((j - lo) / (hi - lo), 0), 1);
        return 150000 ** (-2 * j / 64) * ((1 - ramp) + ramp / 32);
      });
      assertClose(invFreq, expected, 'invFreq');
      assertClose([attentionFactor], [0.1 * Math.log(32) + 1], 'attentionFactor', { abs: 1e-12, rel: 1e-12 });
    });
  });
}
