// The seed's four modules as classes: forward against the functions and the reference, train()/eval(),
// stateDict()/loadStateDict(), the RoPE cache growing past maxLen, ALiBi slicing its cache.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { BUILDS, assertClose, assertCode, load } from './helpers.js';
import * as ref from './reference.js';

for (const build of BUILDS) {
  describe(`modules (${build.name} build)`, () => {
    let pe;
    before(async () => {
      pe = await load({ simd: build.simd });
    });

    test('SinusoidalPositionalEncoding: starts in train mode, eval() adds the table, stateDict holds pe', () => {
      const m = new pe.SinusoidalPositionalEncoding({ dim: 8, maxLen: 32, dropout: 0.5, seed: 3 });
      try {
        assert.equal(m.training, true);
        const shape = [2, 4, 8];
        const x = ref.randomFloats(64, 1);
        const train = m.forward({ data: x, shape }, { offset: 3 });
        assert.ok(train.data.some((v) => v === 0), 'dropout active in train mode');
        assert.equal(m.eval(), m);
        assert.equal(m.training, false);
        assertClose(m.forward({ data: x, shape }, { offset: 3 }).data, ref.sinusoidalForward([...x], shape, { offset: 3 }), 'eval forward');
        const { pe: table } = m.stateDict();
        assert.deepEqual(table.shape, [32, 8]);
        assertClose(table.data, ref.sinusoidalTable(32, 8), 'pe buffer');
        assert.equal(m.loadStateDict(m.stateDict()), m);
        const wrong = { pe: { data: table.data.map((v) => v + 1), shape: [32, 8] } };
        assertCode(() => m.loadStateDict(wrong), 'OUT_OF_RANGE', /computed, not learned/);
        assertCode(() => m.loadStateDict({}), 'SHAPE_MISMATCH', /missing 'pe'/);
        assertCode(() => m.forward({ data: x, shape: [2, 8, 4] }), 'SHAPE_MISMATCH', /dim = 8/);
        assertCode(() => m.forward({ data: x, shape }, { offset: 30 }), 'BAD_POSITION');
        assert.equal(m.train(), m);
        assert.equal(m.training, true);
      } finally {
        m.delete();
      }
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
          // Keys sit at offset + j; queries at the last q.seq of those positions (SPEC §0 query alignment).
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
}
