// Learned absolute embedding: learnedForward and LearnedPositionalEmbedding against the float64 reference,
// learnedBackward against finite differences and the analytic float64 gradient, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, f32, gradientTensor, x3, zeros } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

describeBuilds('learned', (pe) => {
  test('learnedForward: offset, explicit positions (seq,) and (batch, seq), scale, LayerNorm, dropout', () => {
    const shape = [2, 3, 4];
    const x = ref.randomFloats(24, 5);
    const table = ref.randomFloats(10 * 4, 6);
    const T = { data: table, shape: [10, 4] };
    const X = { data: x, shape };
    assertClose(pe.learnedForward(X, T, { offset: 2 }).data, ref.learnedForward([...x], shape, [...table], { offset: 2 }), 'offset');
    const p1 = Int32Array.from([9, 0, 4]);
    assertClose(pe.learnedForward(X, T, { positions: p1, scale: 0.5 }).data,
      ref.learnedForward([...x], shape, [...table], { positions: p1, scale: 0.5 }), 'positions (seq,)');
    const p2 = Int32Array.from([1, 2, 3, 7, 8, 9]);
    assertClose(pe.learnedForward(X, T, { positions: { data: p2, shape: [2, 3] } }).data,
      ref.learnedForward([...x], shape, [...table], { positions: p2 }), 'positions (batch, seq)');
    const gamma = Float32Array.from([1, 2, 0.5, -1]);
    const beta = Float32Array.from([0, 0.1, 0.2, 0.3]);
    assertClose(pe.learnedForward(X, T, { useLn: true, gamma, beta, eps: 1e-3 }).data,
      ref.learnedForward([...x], shape, [...table], { useLn: true, gamma, beta, eps: 1e-3 }), 'LayerNorm', { abs: 1e-5, rel: 1e-5 });
    const keepMask = Array.from({ length: 24 }, (_, i) => (i % 4 === 1 ? 0 : 1));
    assertClose(pe.learnedForward(X, T, { p: 0.5, train: true, keepMask }).data,
      ref.learnedForward([...x], shape, [...table], { p: 0.5, train: true, keepMask }), 'dropout');
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.learnedForward(x3(1, 1, 4), zeros(4, 6), { eps: Infinity }), 'NON_FINITE', /eps/);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.learnedForward(x3(1, 1, 2), f32([0, 0, 0, 0], [2, 2]), { scale: Infinity }), 'NON_FINITE', /scale.*Infinity/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.learnedForward(x3(1, 1, 2), f32([0, 0], [1, 2]), { useLn: true, eps: 0 }), 'OUT_OF_RANGE', /eps/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(10).fill(0), [5, 2])), 'SHAPE_MISMATCH', /width|d\b|table/);
    assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(20).fill(0), [5, 4]), { useLn: true, gamma: new Float32Array(3) }), 'SHAPE_MISMATCH', /gamma/);
    assertCode(() => pe.learnedForward(x3(1, 2, 4), f32(new Array(20).fill(0), [5, 4]), { positions: [0, 1] }), 'SHAPE_MISMATCH', /positions must be a Int32Array|Int32Array/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.learnedForward(x3(1, 2, 2), f32([0, 0, 0, 0], [2, 2]), { offset: 1 }), 'BAD_POSITION', /max_len|maxLen|2/);
  });

  test('LearnedPositionalEmbedding: loaded parameters drive forward and the relative bias', () => {
    const m = new pe.LearnedPositionalEmbedding({ dim: 4, maxLen: 6, dropout: 0.1, scale: 0.5, layerNorm: true, relative: true, numHeads: 2, maxDistance: 2 });
    try {
      const state = m.stateDict();
      assert.deepEqual(Object.keys(state).sort(), ['beta', 'gamma', 'relativeTable', 'table']);
      assert.deepEqual(state.table.shape, [6, 4]);
      assert.deepEqual(state.relativeTable.shape, [5, 2]);
      assert.ok(state.table.data.some((v) => v !== 0), 'initialised N(0, 0.02²)');
      const table = ref.randomFloats(24, 2), gamma = ref.randomFloats(4, 3), beta = ref.randomFloats(4, 4), rel = ref.randomFloats(10, 5);
      m.loadStateDict({ table: { data: table, shape: [6, 4] }, gamma: { data: gamma, shape: [4] }, beta: { data: beta, shape: [4] },
        relativeTable: { data: rel, shape: [5, 2] } });
      assert.deepEqual(m.stateDict().table.data, table);
      m.eval();
      const shape = [2, 3, 4];
      const x = ref.randomFloats(24, 6);
      const positions = Int32Array.of(5, 0, 2);
      assertClose(m.forward({ data: x, shape }, { positions }).data,
        ref.learnedForward([...x], shape, [...table], { positions, scale: 0.5, useLn: true, gamma: [...gamma], beta: [...beta] }),
        'forward', { abs: 1e-5, rel: 1e-5 });
      assertClose(m.relativeBias(3, 5).data, ref.clippedRelativeBias([...rel], 2, 2, 3, 5), 'relative bias');
      assertCode(() => m.loadStateDict({ ...m.stateDict(), table: { data: table, shape: [4, 6] } }), 'SHAPE_MISMATCH', /table/);
      assertCode(() => m.loadStateDict({ ...m.stateDict(), gamma: { data: Float32Array.of(1, NaN, 1, 1), shape: [4] } }), 'NON_FINITE', /gamma/);
      assertCode(() => m.forward({ data: x, shape }, { offset: 5 }), 'BAD_POSITION');
    } finally {
      m.delete();
    }
    const plain = new pe.LearnedPositionalEmbedding({ dim: 4 });
    try {
      assert.deepEqual(Object.keys(plain.stateDict()), ['table']);
      assert.deepEqual(plain.stateDict().table.shape, [512, 4]);
      assertCode(() => plain.relativeBias(2, 2), 'SHAPE_MISMATCH');
    } finally {
      plain.delete();
    }
  });
});

describeBuilds('learned gradient', (pe) => {
  test('learnedBackward: dx, dTable, dGamma, dBeta by finite differences (with LayerNorm and a keep mask) and the analytic reference', () => {
    const shape = [2, 3, 4], maxLen = 5;
    const x = gradientTensor(shape, 9), table = gradientTensor([maxLen, 4], 10), dy = gradientTensor(shape, 11);
    const gamma = Float32Array.from(ref.randomFloats(4, 12), (v) => 1 + v / 2), beta = ref.randomFloats(4, 13);
    const keepMask = Uint8Array.from({ length: 24 }, (_, i) => (i % 3 ? 1 : 0));
    const opts = { offset: 1, useLn: true, gamma, beta, scale: 1.5, p: 0.25, train: true, keepMask };
    const got = pe.learnedBackward(dy, { x, table, ...opts });
    const fwd = (xv, tv, g = gamma, bt = beta) => ref.learnedForward(xv, shape, tv, { ...opts, gamma: g, beta: bt });
    assertClose(got.dx.data, grad.finiteDifference((v) => fwd(v, table.data), x.data, dy.data), 'dx', GRADIENT_FD);
    assertClose(got.dTable.data, grad.finiteDifference((v) => fwd(x.data, v), table.data, dy.data), 'dTable', GRADIENT_FD);
    assertClose(got.dGamma.data, grad.finiteDifference((v) => fwd(x.data, table.data, v), gamma, dy.data), 'dGamma', GRADIENT_FD);
    assertClose(got.dBeta.data, grad.finiteDifference((v) => fwd(x.data, table.data, gamma, v), beta, dy.data), 'dBeta', GRADIENT_FD);
    const plain = pe.learnedBackward(dy, { x, table, positions: Int32Array.from([4, 0, 4]) });
    assertClose(plain.dTable.data, grad.learnedBackward(dy.data, shape, x.data, table.data, { positions: [4, 0, 4] }).dTable, 'scatter-add', GRADIENT_EXACT);
    if ('dGamma' in plain) throw new Error('dGamma without useLn');
    const big = [4, 64, 32], xb = gradientTensor(big, 14), tb = gradientTensor([128, 32], 15), dyb = gradientTensor(big, 16);
    const e = grad.learnedBackward(dyb.data, big, xb.data, tb.data, { offset: 9, useLn: true });
    const g = pe.learnedBackward(dyb, { x: xb, table: tb, offset: 9, useLn: true });
    assertClose(g.dx.data, e.dx, 'dx large', GRADIENT_EXACT);
    assertClose(g.dTable.data, e.dTable, 'dTable large', GRADIENT_EXACT);
    assertClose(g.dGamma.data, e.dGamma, 'dGamma large', { abs: 1e-4, rel: 1e-4 });
  });

  test('learnedBackward errors: missing inputs, shapes', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.learnedBackward(dy, {}), 'SHAPE_MISMATCH', /dy/);
    assertCode(() => pe.learnedBackward(f32(new Float32Array(8), [1, 2, 4]), { x: f32(new Float32Array(4), [1, 1, 4]), table: f32(new Float32Array(8), [2, 4]) }), 'SHAPE_MISMATCH', /x\.shape/);
  });
});
