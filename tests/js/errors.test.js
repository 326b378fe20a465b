// Every error code of SPEC §10 from JavaScript: an Error with .code and a message naming the argument, the
// value and the rule — from the JS checks and from C++ alike; bad types give clear errors too.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { BUILDS, assertCode, f32, load } from './helpers.js';

const x3 = (b, s, d) => ({ data: new Float32Array(b * s * d), shape: [b, s, d] });
const x4 = (b, h, s, d) => ({ data: new Float32Array(b * h * s * d), shape: [b, h, s, d] });

for (const build of BUILDS) {
  describe(`errors (${build.name} build)`, () => {
    let pe;
    before(async () => {
      pe = await load({ simd: build.simd });
    });

    test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
      assertCode(() => pe.sinusoidalTable(4, 6, { base: NaN }), 'NON_FINITE', /base.*NaN/);
      assertCode(() => pe.sinusoidalTable(4, 6, { base: '10000' }), 'NON_FINITE', /base.*'10000'/);
      assertCode(() => pe.learnedForward(x3(1, 1, 2), f32([0, 0, 0, 0], [2, 2]), { scale: Infinity }), 'NON_FINITE', /scale.*Infinity/);
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { scaling: { rope_type: 'linear', factor: NaN } }), 'NON_FINITE', /factor.*NaN/);
      assertCode(() => pe.dropout(x3(1, 1, 2), { p: NaN }), 'NON_FINITE', /p .*NaN/);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { gamma: -Infinity }), 'NON_FINITE', /gamma/);
      assertCode(() => pe.sdpa(x4(1, 2, 1, 2), x4(1, 2, 1, 2), x4(1, 2, 1, 2), { alibi: Float32Array.from([NaN, 1]) }), 'NON_FINITE', /slope|alibi/);
    });

    test('BAD_HEADS: zero, negative or fractional head counts', () => {
      assertCode(() => pe.alibiSlopes(0), 'BAD_HEADS', /numHeads.*0/);
      assertCode(() => pe.alibiSlopes(2.5), 'BAD_HEADS', /numHeads.*2\.5/);
      assertCode(() => pe.alibiBias(-1, 2, 2), 'BAD_HEADS', /numHeads.*-1/);
      assertCode(() => pe.t5Bias(f32(new Array(64).fill(0), [32, 2]), { numHeads: 0, qLen: 1, kLen: 1 }), 'BAD_HEADS', /numHeads/);
      assertCode(() => new pe.ALiBiPositionalEncoding({ numHeads: 0 }), 'BAD_HEADS', /numHeads/);
    });

    test('BAD_SIZE: zero, negative or fractional sizes, in arguments and in shapes', () => {
      assertCode(() => pe.sinusoidalTable(0, 4), 'BAD_SIZE', /maxLen.*0/);
      assertCode(() => pe.sinusoidalTable(4, -2), 'BAD_SIZE', /\bd\b.*-2/);
      assertCode(() => pe.ropeForward({ data: new Float32Array(0), shape: [1, 1, 0, 4] }), 'BAD_SIZE', /x\.shape\[2\].*0/);
      assertCode(() => pe.ropeForward({ data: new Float32Array(4), shape: [1, 1, 1.5, 4] }), 'BAD_SIZE', /1\.5/);
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { dRot: 0 }), 'BAD_SIZE', /dRot/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 0 } }), 'BAD_SIZE', /original_max_position_embeddings/);
      assertCode(() => pe.alibiBias(2, 0, 3), 'BAD_SIZE', /qLen/);
      assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: -4 }), 'BAD_SIZE', /numBuckets/);
      assertCode(() => new pe.SinusoidalPositionalEncoding({ dim: 4, maxLen: 0 }), 'BAD_SIZE', /maxLen/);
    });

    test('ODD_DIM: odd d, head_dim (no dRot) or dRot', () => {
      assertCode(() => pe.sinusoidalTable(4, 7), 'ODD_DIM', /7/);
      assertCode(() => pe.sinusoidalForward(x3(1, 2, 5)), 'ODD_DIM', /5/);
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 5)), 'ODD_DIM', /5/);
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 8), { dRot: 3 }), 'ODD_DIM', /3/);
      assertCode(() => pe.ropeParams(7), 'ODD_DIM', /7/);
      assertCode(() => pe.xposApply(x4(1, 1, 2, 5)), 'ODD_DIM', /5/);
      assertCode(() => new pe.SinusoidalPositionalEncoding({ dim: 7 }), 'ODD_DIM', /7/);
    });

    test('ROT_DIM: dRot above head_dim', () => {
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 8), { dRot: 10 }), 'ROT_DIM', /10/);
    });

    test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
      assertCode(() => pe.sinusoidalTable(4, 6, { base: 1 }), 'OUT_OF_RANGE', /base/);
      assertCode(() => pe.dropout(x3(1, 1, 2), { p: 1.5, train: true }), 'OUT_OF_RANGE', /p\b.*1\.5/);
      assertCode(() => pe.learnedForward(x3(1, 1, 2), f32([0, 0], [1, 2]), { useLn: true, eps: 0 }), 'OUT_OF_RANGE', /eps/);
      assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { scale: -1 }), 'OUT_OF_RANGE', /scale/);
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { layout: 'neox' }), 'OUT_OF_RANGE', /layout.*'half', 'interleaved'.*'neox'/);
      assertCode(() => pe.alibiBias(2, 2, 2, { mode: 'decoder' }), 'OUT_OF_RANGE', /mode.*'decoder'/);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { role: 'v' }), 'OUT_OF_RANGE', /role.*'v'/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'ntk' } }), 'OUT_OF_RANGE', /rope_type.*'ntk'/);
      assertCode(() => pe.ropeParams(8, { scaling: { type: 'ntk' } }), 'OUT_OF_RANGE', /type.*'ntk'/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'linear', factor: 0.5 } }), 'OUT_OF_RANGE', /factor/);
      assertCode(() => pe.ropeParams(2, { scaling: { rope_type: 'dynamic', factor: 2 }, maxPositionEmbeddings: 16 }), 'OUT_OF_RANGE', /d_rot|dRot|4/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, beta_fast: 1, beta_slow: 32, original_max_position_embeddings: 64 } }), 'OUT_OF_RANGE', /beta/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 4, original_max_position_embeddings: 64 } }), 'OUT_OF_RANGE', /high_freq_factor|low_freq_factor/);
      assertCode(() => pe.t5Buckets(Int32Array.of(1), { numBuckets: 2 }), 'OUT_OF_RANGE', /num_buckets|numBuckets|e\b/);
      assertCode(() => pe.t5Buckets(Int32Array.of(1), { maxDistance: 8 }), 'OUT_OF_RANGE', /max_distance|maxDistance/);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { offset: 400000 }), 'OUT_OF_RANGE', /700|exponent|scale/);
      assertCode(() => pe.dropout(x3(1, 1, 2), { p: 0.5, train: true, keepMask: [1, 2] }), 'OUT_OF_RANGE', /keepMask.*2/);
      assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { causal: 'yes' }), 'OUT_OF_RANGE', /causal.*'yes'/);
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), 5), 'OUT_OF_RANGE', /options/);
    });

    test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
      assertCode(() => pe.ropeForward({ data: [1, 2, 3, 4], shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /x\.data must be a Float32Array, got an Array/);
      assertCode(() => pe.ropeForward({ data: new Float64Array(4), shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /Float32Array.*Float64Array/);
      assertCode(() => pe.ropeForward(new Float32Array(4)), 'SHAPE_MISMATCH', /x must be a tensor/);
      assertCode(() => pe.ropeForward({ data: new Float32Array(5), shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /5 elements.*needs 4/);
      assertCode(() => pe.ropeForward({ data: new Float32Array(4), shape: [1, 4] }), 'SHAPE_MISMATCH', /batch, heads, seq, headDim/);
      assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(10).fill(0), [5, 2])), 'SHAPE_MISMATCH', /width|d\b|table/);
      assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(20).fill(0), [5, 4]), { useLn: true, gamma: new Float32Array(3) }), 'SHAPE_MISMATCH', /gamma/);
      assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(20).fill(0), [5, 4]), { positions: [0, 1] }), 'SHAPE_MISMATCH', /positions must be a Int32Array|Int32Array/);
      assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'longrope', short_factor: [1, 1, 1], long_factor: [1, 1, 1, 1], original_max_position_embeddings: 64 }, maxPositionEmbeddings: 128 }), 'SHAPE_MISMATCH', /short_factor/);
      assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 3), x4(1, 2, 5, 4)), 'SHAPE_MISMATCH', /k\.shape/);
      assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 4, 4)), 'SHAPE_MISMATCH', /v\.shape/);
      assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 5, 4), { bias: x3(2, 3, 4) }), 'SHAPE_MISMATCH', /bias\.shape/);
      assertCode(() => pe.dropout(x3(1, 1, 2), { p: 0.5, train: true, keepMask: new Uint8Array(3) }), 'SHAPE_MISMATCH', /keep_mask|keepMask/);
      assertCode(() => pe.sinusoidalTable(4, 4, { out: new Float32Array(3) }), 'SHAPE_MISMATCH', /out must have 16 elements/);
      assertCode(() => pe.sinusoidalTable(4, 4, { out: new Float64Array(16) }), 'SHAPE_MISMATCH', /out must be a Float32Array/);
      assertCode(() => pe.clippedRelativeBias(f32([1, 2, 3, 4], [4, 1]), { qLen: 1, kLen: 1 }), 'SHAPE_MISMATCH', /2·maxDistance\+1/);
    });

    test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { offset: -1 }), 'BAD_POSITION', /offset.*-1/);
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { offset: 2 ** 31 }), 'BAD_POSITION', /offset/);
      assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { positions: Int32Array.of(0, -3) }), 'BAD_POSITION', /-3/);
      assertCode(() => pe.sinusoidalForward(x3(1, 5, 4), { maxLen: 10, offset: 8 }), 'BAD_POSITION', /max_len|maxLen|10/);
      assertCode(() => pe.learnedForward(x3(1, 2, 2), f32([0, 0, 0, 0], [2, 2]), { offset: 1 }), 'BAD_POSITION', /max_len|maxLen|2/);
      assertCode(() => pe.alibiBias(2, 5, 3), 'BAD_POSITION', /q_offset|qOffset/);
      assertCode(() => pe.alibiBias(2, 2, 3, { qOffset: -1 }), 'BAD_POSITION', /qOffset.*-1/);
      assertCode(() => pe.sdpa(x4(1, 1, 4, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { causal: true }), 'BAD_POSITION', /q_offset|qOffset/);
    });

    test('C++ errors arrive as coded Errors, never as a bare number', () => {
      try {
        pe.sinusoidalTable(4, 7);
        assert.fail('no throw');
      } catch (e) {
        assert.equal(typeof e, 'object');
        assert.ok(e instanceof Error && e instanceof pe.PosencError);
        assert.equal(e.name, 'PosencError');
        assert.equal(e.message, 'd must be even, got 7');
      }
    });

    test('load() rejects a bad simd choice and an unloadable wasm with advice', async () => {
      await assert.rejects(load({ simd: 'yes' }), (e) => e.code === 'OUT_OF_RANGE' && /simd/.test(e.message));
      await assert.rejects(load({ simd: build.simd, wasmBinary: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]) }),
        (e) => e instanceof Error && e.code === 'LOAD_FAILED' && /wasmUrl/.test(e.message));
    });
  });
}
