// The exported gradients: each against central finite differences of the float64 forward (small shapes)
// and against the float64 reference's analytic gradient (larger shapes), and their errors.
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, f32 } from './helpers.js';
import * as ref from './reference.js';
import * as grad from './reference-gradients.js';

// A float32 gradient against a float64 finite difference (h = 1e-5): float32 rounding dominates.
const FD = { abs: 2e-4, rel: 2e-3 };
const EXACT = { abs: 2e-5, rel: 2e-4 };
const rand = (n, seed) => ref.randomFloats(n, seed);
const tensor = (shape, seed) => f32(rand(shape.reduce((a, b) => a * b, 1), seed), shape);

describeBuilds('gradients', (pe) => {
  test('ropeBackward: finite differences (plain, inverse, yarn with its attention factor) and the analytic reference', () => {
    const shape = [1, 2, 3, 6];
    const dy = tensor(shape, 3), x = rand(36, 4);
    for (const opts of [{ offset: 5 }, { inverse: true, layout: 'interleaved', dRot: 4 },
      { scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8 }, offset: 2 }]) {
      const fd = grad.finiteDifference((v) => ref.ropeForward(v, shape, opts), x, dy.data);
      assertClose(pe.ropeBackward(dy, opts).data, fd, `rope ${JSON.stringify(opts)}`, FD);
    }
    const big = [2, 4, 64, 32], dyBig = tensor(big, 5);
    const positions = Int32Array.from({ length: 64 }, (_, i) => 3 * i + 1);
    assertClose(pe.ropeBackward(dyBig, { positions }).data, grad.ropeBackward(dyBig.data, big, { positions: [...positions] }), 'rope large', EXACT);
  });

  test('xposBackward: finite differences for queries and keys, and the analytic reference', () => {
    const shape = [1, 2, 3, 4];
    const dy = tensor(shape, 6), x = rand(24, 7);
    for (const opts of [{ role: 'q', offset: 10 }, { role: 'k', center: 2, layout: 'half' }]) {
      const fd = grad.finiteDifference((v) => ref.xposApply(v, shape, opts), x, dy.data);
      assertClose(pe.xposBackward(dy, opts).data, fd, `xpos ${opts.role}`, FD);
    }
    const big = [2, 2, 64, 32], dyBig = tensor(big, 8);
    assertClose(pe.xposBackward(dyBig, { role: 'k', offset: 7 }).data, grad.xposBackward(dyBig.data, big, { role: 'k', offset: 7 }), 'xpos large', EXACT);
  });

  test('learnedBackward: dx, dTable, dGamma, dBeta by finite differences (with LayerNorm and a keep mask) and the analytic reference', () => {
    const shape = [2, 3, 4], maxLen = 5;
    const x = tensor(shape, 9), table = tensor([maxLen, 4], 10), dy = tensor(shape, 11);
    const gamma = Float32Array.from(rand(4, 12), (v) => 1 + v / 2), beta = rand(4, 13);
    const keepMask = Uint8Array.from({ length: 24 }, (_, i) => (i % 3 ? 1 : 0));
    const opts = { offset: 1, useLn: true, gamma, beta, scale: 1.5, p: 0.25, train: true, keepMask };
    const got = pe.learnedBackward(dy, { x, table, ...opts });
    const fwd = (xv, tv, g = gamma, bt = beta) => ref.learnedForward(xv, shape, tv, { ...opts, gamma: g, beta: bt });
    assertClose(got.dx.data, grad.finiteDifference((v) => fwd(v, table.data), x.data, dy.data), 'dx', FD);
    assertClose(got.dTable.data, grad.finiteDifference((v) => fwd(x.data, v), table.data, dy.data), 'dTable', FD);
    assertClose(got.dGamma.data, grad.finiteDifference((v) => fwd(x.data, table.data, v), gamma, dy.data), 'dGamma', FD);
    assertClose(got.dBeta.data, grad.finiteDifference((v) => fwd(x.data, table.data, gamma, v), beta, dy.data), 'dBeta', FD);
    const plain = pe.learnedBackward(dy, { x, table, positions: Int32Array.from([4, 0, 4]) });
    assertClose(plain.dTable.data, grad.learnedBackward(dy.data, shape, x.data, table.data, { positions: [4, 0, 4] }).dTable, 'scatter-add', EXACT);
    if ('dGamma' in plain) throw new Error('dGamma without useLn');
    const big = [4, 64, 32], xb = tensor(big, 14), tb = tensor([128, 32], 15), dyb = tensor(big, 16);
    const e = grad.learnedBackward(dyb.data, big, xb.data, tb.data, { offset: 9, useLn: true });
    const g = pe.learnedBackward(dyb, { x: xb, table: tb, offset: 9, useLn: true });
    assertClose(g.dx.data, e.dx, 'dx large', EXACT);
    assertClose(g.dTable.data, e.dTable, 'dTable large', EXACT);
    assertClose(g.dGamma.data, e.dGamma, 'dGamma large', { abs: 1e-4, rel: 1e-4 });
  });

  test('t5BiasBackward and clippedRelativeBiasBackward: finite differences and the analytic reference (batched dBias too)', () => {
    const heads = 2, qLen = 3, kLen = 5;
    const dBias = tensor([heads, qLen, kLen], 17);
    const t5 = tensor([8, heads], 18);
    const t5Opts = { numBuckets: 8, maxDistance: 16, bidirectional: false };
    assertClose(pe.t5BiasBackward(dBias, t5Opts).data,
      grad.finiteDifference((v) => ref.t5Bias(v, heads, qLen, kLen, t5Opts), t5.data, dBias.data), 't5', FD);
    const clipped = tensor([5, heads], 19);
    assertClose(pe.clippedRelativeBiasBackward(dBias, { maxDistance: 2, qOffset: 1 }).data,
      grad.finiteDifference((v) => ref.clippedRelativeBias(v, heads, 2, qLen, kLen, 1), clipped.data, dBias.data), 'clipped', FD);
    const big = tensor([3, 4, 40, 60], 20);
    assertClose(pe.t5BiasBackward(big, { numBuckets: 16 }).data, grad.t5BiasBackward(big.data, 4, 40, 60, { numBuckets: 16 }), 't5 large', { abs: 1e-4, rel: 1e-5 });
    assertClose(pe.clippedRelativeBiasBackward(big, { maxDistance: 8, qOffset: 0 }).data,
      grad.clippedRelativeBiasBackward(big.data, 4, 8, 40, 60, 0), 'clipped large', { abs: 1e-4, rel: 1e-5 });
  });

  test('sdpaBackward: dq, dk, dv, dBias, dSinks by finite differences (causal, ALiBi, GQA, sinks) and the analytic reference', () => {
    const [B, H, Hkv, Q, K, D, Dv] = [1, 4, 2, 3, 4, 4, 3];
    const dims = [B, H, Hkv, Q, K, D, Dv];
    const q = tensor([B, H, Q, D], 21), k = tensor([B, Hkv, K, D], 22), v = tensor([B, Hkv, K, Dv], 23), dOut = tensor([B, H, Q, Dv], 24);
    const bias = tensor([H, Q, K], 25), sinks = rand(H, 26);
    for (const opts of [{ causal: true, alibi: 'causal' }, { bias, sinks, scale: 0.7 }, { causal: true, qOffset: 0, sinks }]) {
      const o = { ...opts, bias: opts.bias?.data, sinks: opts.sinks };
      const got = pe.sdpaBackward(q, k, v, dOut, opts);
      const fwd = (qv, kv, vv, bv = o.bias, sv = o.sinks) => grad.sdpa(qv, kv, vv, dims, { ...o, bias: bv, sinks: sv });
      const what = Object.keys(opts).join('+');
      assertClose(got.dq.data, grad.finiteDifference((x) => fwd(x, k.data, v.data), q.data, dOut.data), `dq ${what}`, FD);
      assertClose(got.dk.data, grad.finiteDifference((x) => fwd(q.data, x, v.data), k.data, dOut.data), `dk ${what}`, FD);
      assertClose(got.dv.data, grad.finiteDifference((x) => fwd(q.data, k.data, x), v.data, dOut.data), `dv ${what}`, FD);
      if (opts.bias) assertClose(got.dBias.data, grad.finiteDifference((x) => fwd(q.data, k.data, v.data, x), bias.data, dOut.data), 'dBias', FD);
      if (opts.sinks) assertClose(got.dSinks, grad.finiteDifference((x) => fwd(q.data, k.data, v.data, o.bias, x), sinks, dOut.data), 'dSinks', FD);
    }
    const bd = [2, 4, 2, 24, 32, 16, 16];
    const [qb, kb, vb, gb] = [[2, 4, 24, 16], [2, 2, 32, 16], [2, 2, 32, 16], [2, 4, 24, 16]].map((s, i) => tensor(s, 30 + i));
    const got = pe.sdpaBackward(qb, kb, vb, gb, { causal: true, alibi: 'causal' });
    const e = grad.sdpaBackward(qb.data, kb.data, vb.data, gb.data, bd, { causal: true, alibi: 'causal' });
    assertClose(got.dq.data, e.dq, 'dq large', EXACT);
    assertClose(got.dk.data, e.dk, 'dk large', EXACT);
    assertClose(got.dv.data, e.dv, 'dv large', EXACT);
  });

  test('layerNormBackward and dropoutBackward: finite differences and the analytic reference', () => {
    const x = tensor([3, 5], 40), dy = tensor([3, 5], 41), gamma = Float32Array.from(rand(5, 42), (v) => 1 + v);
    const got = pe.layerNormBackward(dy, x, { gamma, eps: 1e-3 });
    assertClose(got.dx.data, grad.finiteDifference((v) => {
      const out = [];
      for (let r = 0; r < 3; ++r) out.push(...ref.layerNorm(v.slice(r * 5, r * 5 + 5), gamma, null, 1e-3));
      return out;
    }, x.data, dy.data), 'dx', FD);
    const e = grad.layerNormBackward(dy.data, x.data, 3, 5, gamma, 1e-3);
    assertClose(got.dGamma.data, e.dGamma, 'dGamma', EXACT);
    assertClose(got.dBeta.data, e.dBeta, 'dBeta', EXACT);
    const xb = tensor([64, 96], 43), dyb = tensor([64, 96], 44);
    assertClose(pe.layerNormBackward(dyb, xb).dx.data, grad.layerNormBackward(dyb.data, xb.data, 64, 96).dx, 'dx large', EXACT);
    const keepMask = Uint8Array.from({ length: 15 }, (_, i) => i % 2);
    assertClose(pe.dropoutBackward(dy, { keepMask, p: 0.4 }).data,
      grad.finiteDifference((v) => ref.dropout(v, { p: 0.4, train: true, keepMask }), x.data, dy.data), 'dropout', FD);
    assertClose(pe.dropoutBackward(dy, { keepMask, p: 0.4, train: false }).data, dy.data, 'dropout eval');
  });

  test('errors: unknown options, shapes, heads, sizes', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    assertCode(() => pe.ropeBackward(dy, { ofset: 1 }), 'OUT_OF_RANGE', /ofset.*offset/);
    assertCode(() => pe.ropeBackward(dy, { dRot: 3 }), 'ODD_DIM', /dRot/);
    assertCode(() => pe.xposBackward(dy, { role: 'v' }), 'OUT_OF_RANGE', /role/);
    assertCode(() => pe.learnedBackward(dy, {}), 'SHAPE_MISMATCH', /dy/);
    assertCode(() => pe.learnedBackward(f32(new Float32Array(8), [1, 2, 4]), { x: f32(new Float32Array(4), [1, 1, 4]), table: f32(new Float32Array(8), [2, 4]) }), 'SHAPE_MISMATCH', /x\.shape/);
    assertCode(() => pe.clippedRelativeBiasBackward(f32(new Float32Array(4), [1, 2, 2]), {}), 'BAD_SIZE', /maxDistance/);
    assertCode(() => pe.t5BiasBackward(f32(new Float32Array(4), [1, 2, 2]), { numBuckets: 2 }), 'OUT_OF_RANGE');
    const kv2 = f32(new Float32Array(32), [1, 2, 4, 4]);
    assertCode(() => pe.sdpaBackward(f32(new Float32Array(48), [1, 3, 4, 4]), kv2, kv2, f32(new Float32Array(48), [1, 3, 4, 4])), 'BAD_HEADS', /divide/);
    assertCode(() => pe.sdpaBackward(dy, dy, dy, f32(new Float32Array(8), [1, 1, 2, 4])), 'SHAPE_MISMATCH', /dOut/);
    assertCode(() => pe.sdpaBackward(dy, dy, dy, dy, { sinks: new Float32Array(2) }), 'SHAPE_MISMATCH', /sinks/);
    assertCode(() => pe.layerNormBackward(dy, dy, { gamma: new Float32Array(3) }), 'SHAPE_MISMATCH', /gamma/);
    assertCode(() => pe.dropoutBackward(dy, { keepMask: new Uint8Array(3), p: 0.5 }), 'SHAPE_MISMATCH', /keepMask/);
    assertCode(() => pe.dropoutBackward(dy, { p: 2 }), 'OUT_OF_RANGE', /p/);
  });
});
