// RoPE: ropeParams (every scaling variant), ropeForward (layouts, partial rotary, positions, the sliced
// path for large arrays) and RotaryPositionalEmbedding against the float64 reference, ropeBackward against
// finite differences and the analytic float64 gradient, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, f32, gradientTensor, x4 } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('rope', (pe) => {
  test('large ropeForward results for JS arrays (rotated through a small scratch) equal the in-place heap results bit for bit', () => {
    // ropeForward streams big arrays through a small heap scratch; the values must not depend on how the work was cut.
    // [2, 30, 300, 64]: slices of whole heads (13 at a time); [1, 2, 5000, 64]: 4096 positions of one head, then 904.
    const dynamic = { scaling: { rope_type: 'dynamic', factor: 2 }, maxPositionEmbeddings: 64 };
    for (const [shape, opts] of [[2, 30, 300, 64], [1, 2, 5000, 64]].flatMap((s) => [{ layout: 'half' }, { layout: 'interleaved' },
      { ...dynamic, layout: 'interleaved' }, { inverse: true, dRot: 32 }, { ...dynamic, seqLen: 50 }].map((o) => [s, o]))) {
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
      const t = pe.tensor(x, shape);
      try {
        pe.ropeForward(t, { ...opts, offset: 33, out: t });
        const sliced = pe.ropeForward({ data: x, shape }, { ...opts, offset: 33 });
        assert.deepEqual(sliced.data, t.read(), JSON.stringify({ shape, opts }));
      } finally {
        t.delete();
      }
    }
    // The last position is checked before any slice is written: the whole call's error, out untouched.
    const shape = [2, 30, 300, 64], x = new Float32Array(2 * 30 * 300 * 64).fill(0.5);
    const out = new Float32Array(x.length).fill(7);
    assert.throws(() => pe.ropeForward({ data: x, shape }, { offset: 2147483647 - 50, out }),
      /offset \+ seq - 1 must be at most 2\^31-1 = 2147483647, got 2147483597 \+ 300 - 1/);
    assert.ok(out.every((v) => v === 7));
  });

  test('ropeParams: default hand values and every scaling variant against the reference', () => {
    const d = pe.ropeParams(4);
    assert.ok(d.invFreq instanceof Float32Array);
    assertClose(d.invFreq, [1, 0.01], 'default d=4');
    assert.equal(d.attentionFactor, 1);
    const cases = [
      [{ rope_type: 'linear', factor: 4 }, {}],
      [{ type: 'linear', factor: 2 }, {}], // the older key
      [{ rope_type: 'dynamic', factor: 2 }, { maxPositionEmbeddings: 2048, seqLen: 5000 }],
      [{ rope_type: 'dynamic', factor: 2 }, { maxPositionEmbeddings: 2048, seqLen: 100 }],
      [{ rope_type: 'yarn', factor: 4, original_max_position_embeddings: 4096 }, { maxPositionEmbeddings: 16384 }],
      [{ rope_type: 'yarn', factor: 32, beta_fast: 32, beta_slow: 1, truncate: false, original_max_position_embeddings: 4096 }, { base: 150000 }],
      [{ rope_type: 'yarn', factor: 40, mscale: 1, mscale_all_dim: 1, original_max_position_embeddings: 4096 }, { maxPositionEmbeddings: 163840 }],
      [{ rope_type: 'yarn', original_max_position_embeddings: 4096 }, { maxPositionEmbeddings: 32768 }], // factor from mpe/L0
      [{ rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 }, { base: 500000 }],
    ];
    for (const [scaling, o] of cases) {
      const got = pe.ropeParams(64, { scaling, ...o });
      const exp = ref.ropeParams(64, { scaling, base: o.base ?? 10000, ...o });
      assertClose(got.invFreq, exp.invFreq, `${JSON.stringify(scaling)} invFreq`);
      assertClose([got.attentionFactor], [exp.attentionFactor], `${JSON.stringify(scaling)} attentionFactor`, { abs: 1e-9, rel: 1e-9 });
    }
    const short = Array.from({ length: 8 }, (_, j) => 1 + j / 10);
    const long = Array.from({ length: 8 }, (_, j) => 2 + j);
    const lr = { rope_type: 'longrope', short_factor: short, long_factor: long, original_max_position_embeddings: 4096 };
    for (const seqLen of [100, 9000]) {
      const got = pe.ropeParams(16, { scaling: lr, maxPositionEmbeddings: 131072, seqLen });
      const exp = ref.ropeParams(16, { scaling: lr, maxPositionEmbeddings: 131072, seqLen });
      assertClose(got.invFreq, exp.invFreq, `longrope seqLen ${seqLen}`);
      assertClose([got.attentionFactor], [exp.attentionFactor], 'longrope attentionFactor', { abs: 1e-9, rel: 1e-9 });
    }
  });

  test('ropeForward: both layouts, partial rotary, positions, offsets up to 2^20, inverse round trip', () => {
    const shape = [2, 3, 5, 8];
    const x = ref.randomFloats(2 * 3 * 5 * 8, 11);
    const X = { data: x, shape };
    for (const layout of ['half', 'interleaved']) {
      assertClose(pe.ropeForward(X, { layout }).data, ref.ropeForward([...x], shape, { layout }), `${layout}`);
      assertClose(pe.ropeForward(X, { layout, offset: 2 ** 20 }).data,
        ref.ropeForward([...x], shape, { layout, offset: 2 ** 20 }), `${layout} offset 2^20`);
      assertClose(pe.ropeForward(X, { layout, dRot: 4, base: 500 }).data,
        ref.ropeForward([...x], shape, { layout, dRot: 4, base: 500 }), `${layout} partial dRot 4`);
      const positions = Int32Array.from([5, 0, 99, 1000, 3]);
      assertClose(pe.ropeForward(X, { layout, positions }).data,
        ref.ropeForward([...x], shape, { layout, positions }), `${layout} positions`);
      const y = pe.ropeForward(X, { layout, offset: 17 });
      assertClose(pe.ropeForward(y, { layout, offset: 17, inverse: true }).data, x, `${layout} inverse`, { abs: 1e-5, rel: 1e-5 });
    }
    // The seed's default head_dim 2 hand value: rotating (1, 0) at position 1 gives (cos 1, sin 1).
    assertClose(pe.ropeForward(f32([1, 0], [1, 1, 1, 2]), { offset: 1 }).data, [Math.cos(1), Math.sin(1)], 'hand value');
  });

  test('ropeForward takes a Hugging Face rope_scaling object verbatim (extra keys, legacy type)', () => {
    const shape = [1, 2, 4, 16];
    const x = ref.randomFloats(128, 12);
    const llama31 = { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' };
    assertClose(pe.ropeForward({ data: x, shape }, { base: 500000, scaling: llama31, offset: 9000 }).data,
      ref.ropeForward([...x], shape, { base: 500000, scaling: llama31, offset: 9000 }), 'llama3');
    const legacy = { type: 'yarn', factor: 4.0, original_max_position_embeddings: 32768, finetuned: true };
    assertClose(pe.ropeForward({ data: x, shape }, { scaling: legacy, maxPositionEmbeddings: 131072, positions: Int32Array.from([0, 1, 40000, 7]) }).data,
      ref.ropeForward([...x], shape, { scaling: legacy, maxPositionEmbeddings: 131072, positions: [0, 1, 40000, 7] }), 'yarn with type');
    const dynamic = { rope_type: 'dynamic', factor: 2 };
    assertClose(pe.ropeForward({ data: x, shape }, { scaling: dynamic, maxPositionEmbeddings: 8, offset: 10 }).data,
      ref.ropeForward([...x], shape, { scaling: dynamic, maxPositionEmbeddings: 8, offset: 10 }), 'dynamic, seqLen from positions');
    assertClose(pe.ropeForward({ data: x, shape }, { scaling: null }).data, ref.ropeForward([...x], shape), 'rope_scaling: null');
  });

  test('errors raised in C++ name the camelCase option the caller passed, and its value', () => {
    assertCode(() => pe.ropeParams(5), 'ODD_DIM', /^dRot must be even, got 5/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { dRot: 6 }), 'ROT_DIM', /^dRot must be at most headDim = 4, got 6/);
    assertCode(() => pe.ropeParams(8, { scaling: { type: 'dynamic', factor: 2 } }), 'BAD_SIZE', /^maxPositionEmbeddings /);
    // Keys inside a rope_scaling object keep the config's snake_case.
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 0 } }),
      'BAD_SIZE', /scaling\.original_max_position_embeddings/);
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.ropeForward({ data: new Float32Array(2), shape: [2] }, { base: NaN }), 'NON_FINITE', /base/);
    assertCode(() => pe.ropeParams(0, { base: NaN }), 'NON_FINITE', /base/);
  });

  test('GPT-OSS yarn (truncate false): hand-derived correction range 8.0928 … 17.3980', () => {
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

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { scaling: { rope_type: 'linear', factor: NaN } }), 'NON_FINITE', /factor.*NaN/);
  });

  test('BAD_SIZE: zero, negative or fractional sizes, in arguments and in shapes', () => {
    assertCode(() => pe.ropeForward({ data: new Float32Array(0), shape: [1, 1, 0, 4] }), 'BAD_SIZE', /x\.shape\[2\].*0/);
    assertCode(() => pe.ropeForward({ data: new Float32Array(4), shape: [1, 1, 1.5, 4] }), 'BAD_SIZE', /1\.5/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { dRot: 0 }), 'BAD_SIZE', /dRot/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 0 } }), 'BAD_SIZE', /original_max_position_embeddings/);
  });

  test('ODD_DIM: odd d, head_dim (no dRot) or dRot', () => {
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 5)), 'ODD_DIM', /5/);
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 8), { dRot: 3 }), 'ODD_DIM', /3/);
    assertCode(() => pe.ropeParams(7), 'ODD_DIM', /7/);
  });

  test('ROT_DIM: dRot above head_dim', () => {
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 8), { dRot: 10 }), 'ROT_DIM', /10/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { layout: 'neox' }), 'OUT_OF_RANGE', /layout.*'half', 'interleaved'.*'neox'/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'ntk' } }), 'OUT_OF_RANGE', /rope_type.*'ntk'/);
    assertCode(() => pe.ropeParams(8, { scaling: { type: 'ntk' } }), 'OUT_OF_RANGE', /type.*'ntk'/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'linear', factor: 0.5 } }), 'OUT_OF_RANGE', /factor/);
    assertCode(() => pe.ropeParams(2, { scaling: { rope_type: 'dynamic', factor: 2 }, maxPositionEmbeddings: 16 }), 'OUT_OF_RANGE', /d_rot|dRot|4/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'yarn', factor: 2, beta_fast: 1, beta_slow: 32, original_max_position_embeddings: 64 } }), 'OUT_OF_RANGE', /beta/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 2, original_max_position_embeddings: 64 } }), 'OUT_OF_RANGE', /high_freq_factor must be >= scaling.low_freq_factor = 4/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), 5), 'OUT_OF_RANGE', /options/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.ropeForward({ data: [1, 2, 3, 4], shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /x\.data must be a Float32Array, got an Array/);
    assertCode(() => pe.ropeForward({ data: new Float64Array(4), shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /Float32Array.*Float64Array/);
    assertCode(() => pe.ropeForward(new Float32Array(4)), 'SHAPE_MISMATCH', /x must be a tensor/);
    assertCode(() => pe.ropeForward({ data: new Float32Array(5), shape: [1, 1, 1, 4] }), 'SHAPE_MISMATCH', /5 elements.*needs 4/);
    assertCode(() => pe.ropeForward({ data: new Float32Array(4), shape: [1, 4] }), 'SHAPE_MISMATCH', /batch, heads, seq, headDim/);
    assertCode(() => pe.ropeParams(8, { scaling: { rope_type: 'longrope', short_factor: [1, 1, 1], long_factor: [1, 1, 1, 1], original_max_position_embeddings: 64 }, maxPositionEmbeddings: 128 }), 'SHAPE_MISMATCH', /short_factor/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { offset: -1 }), 'BAD_POSITION', /offset.*-1/);
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { offset: 2 ** 31 }), 'BAD_POSITION', /offset/);
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { positions: Int32Array.of(0, -3) }), 'BAD_POSITION', /-3/);
  });

  test('RotaryPositionalEmbedding: forward(q, k) → [q, k] like ropeForward (queries at the last key positions), cache grows past maxLen', () => {
    for (const layout of ['half', 'interleaved']) {
      const m = new pe.RotaryPositionalEmbedding({ dim: 8, maxLen: 4, layout, base: 1000 });
      try {
        assert.equal(m.layout, layout);
        const qs = [1, 2, 3, 8], ks = [1, 2, 5, 8];
        const q = ref.randomFloats(48, 7), k = ref.randomFloats(80, 8);
        const before = m.cachedLen;
        assert.ok(before >= 4);
        const [rq, rk] = m.forward({ data: q, shape: qs }, { data: k, shape: ks }, { offset: 10 });
        assert.ok(m.cachedLen >= 15 && m.cachedLen > before, `cache grew to ${m.cachedLen}`);
        // Keys sit at offset + j; queries at the last q.seq of those positions (query alignment).
        assertClose(rq.data, ref.ropeForward([...q], qs, { layout, base: 1000, offset: 12 }), `${layout} q`);
        assertClose(rk.data, ref.ropeForward([...k], ks, { layout, base: 1000, offset: 10 }), `${layout} k`);
        const { invFreq } = m.stateDict();
        assertClose(invFreq.data, ref.ropeParams(8, { base: 1000 }).invFreq, 'invFreq');
        m.loadStateDict(m.stateDict());
        assertCode(() => m.forward({ data: q, shape: [1, 2, 4, 6] }, { data: k, shape: ks }), 'SHAPE_MISMATCH', /dim = 8/);
      } finally {
        m.delete();
      }
    }
    const scaled = new pe.RotaryPositionalEmbedding({ dim: 16, scaling: { rope_type: 'linear', factor: 4 } });
    try {
      const x = ref.randomFloats(32, 9);
      const [rq] = scaled.forward({ data: x, shape: [1, 1, 2, 16] }, { data: x, shape: [1, 1, 2, 16] }, { positions: Int32Array.of(100, 7) });
      assertClose(rq.data, ref.ropeForward([...x], [1, 1, 2, 16], { scaling: { rope_type: 'linear', factor: 4 }, positions: [100, 7] }), 'linear scaling');
    } finally {
      scaled.delete();
    }
  });

  test('RotaryPositionalEmbedding rotates heap tensors in place', () => {
    const m = new pe.RotaryPositionalEmbedding({ dim: 4 });
    const q = pe.tensor(ref.randomFloats(8, 10), [1, 1, 2, 4]);
    const k = pe.tensor(ref.randomFloats(8, 11), [1, 1, 2, 4]);
    try {
      const q0 = [...q.read()], k0 = [...k.read()];
      const [a, b] = m.forward(q, k, { qOut: q, kOut: k, offset: 1 });
      assert.equal(a, q);
      assert.equal(b, k);
      assertClose(q.read(), ref.ropeForward(q0, [1, 1, 2, 4], { offset: 1 }), 'q in place');
      assertClose(k.read(), ref.ropeForward(k0, [1, 1, 2, 4], { offset: 1 }), 'k in place');
    } finally {
      q.delete();
      k.delete();
      m.delete();
    }
  });
});

describeBuilds('rope gradient', (pe) => {
  test('ropeBackward: finite differences (plain, inverse, yarn with its attention factor) and the analytic reference', () => {
    const shape = [1, 2, 3, 6];
    const dy = gradientTensor(shape, 3), x = ref.randomFloats(36, 4);
    for (const opts of [{ offset: 5 }, { inverse: true, layout: 'interleaved', dRot: 4 },
      { scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8 }, offset: 2 }]) {
      const fd = grad.finiteDifference((v) => ref.ropeForward(v, shape, opts), x, dy.data);
      assertClose(pe.ropeBackward(dy, opts).data, fd, `rope ${JSON.stringify(opts)}`, GRADIENT_FD);
    }
    const big = [2, 4, 64, 32], dyBig = gradientTensor(big, 5);
    const positions = Int32Array.from({ length: 64 }, (_, i) => 3 * i + 1);
    assertClose(pe.ropeBackward(dyBig, { positions }).data, grad.ropeBackward(dyBig.data, big, { positions: [...positions] }), 'rope large', GRADIENT_EXACT);
  });

  test('ropeBackward errors: unknown options, odd dRot', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.ropeBackward(dy, { ofset: 1 }), 'OUT_OF_RANGE', /ofset.*offset/);
    assertCode(() => pe.ropeBackward(dy, { dRot: 3 }), 'ODD_DIM', /dRot/);
  });
});
