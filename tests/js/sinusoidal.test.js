// Sinusoidal encoding: sinusoidalTable, sinusoidalForward and SinusoidalPositionalEncoding against the
// float64 reference (reference.js) and hand-derived values, and their errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, x3 } from './helpers.js';
import * as ref from './reference.js';

describeBuilds('sinusoidal', (pe) => {
  test('sinusoidalTable: PE[0] = [0,1,0,1,…], rows match the reference, start/count/base', () => {
    const t = pe.sinusoidalTable(50, 16);
    assert.ok(t.data instanceof Float32Array);
    assert.deepEqual(t.shape, [50, 16]);
    assert.deepEqual(Array.from(t.data.slice(0, 16)), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    assertClose(t.data, ref.sinusoidalTable(50, 16), 'table');
    const part = pe.sinusoidalTable(5000, 8, { base: 500, start: 4000, count: 3 });
    assert.deepEqual(part.shape, [3, 8]);
    assertClose(part.data, ref.sinusoidalTable(5000, 8, { base: 500, start: 4000, count: 3 }), 'rows 4000..4002');
    // Hand value: PE[1, 0] = sin(1), PE[1, 1] = cos(1).
    assertClose([t.data[16], t.data[17]], [Math.sin(1), Math.cos(1)], 'PE[1, 0:2]');
  });

  test('large tables for JS arrays (made in slices) equal the in-place heap results bit for bit', () => {
    // sinusoidalTable streams big tables through a small heap scratch; the values must not depend on how the work was cut.
    for (const [maxLen, d, start, count] of [[3000, 256, 0, undefined], [2600, 130, 7, 2500], [100, 4096, 3, 90]]) {
      const rows = count ?? maxLen - start;
      const heap = pe.alloc([rows, d]);
      try {
        pe.sinusoidalTable(maxLen, d, { start, count, out: heap });
        const inHeap = heap.read();
        const fresh = pe.sinusoidalTable(maxLen, d, { start, count });
        const out = new Float32Array(rows * d);
        pe.sinusoidalTable(maxLen, d, { start, count, out });
        assert.deepEqual(fresh.shape, [rows, d]);
        assert.deepEqual(fresh.data, inHeap, `table ${maxLen}x${d} from ${start}`);
        assert.deepEqual(out, inHeap);
        assertClose(fresh.data.subarray(-d), ref.sinusoidalTable(maxLen, d, { start: start + rows - 1, count: 1 }), 'last row');
      } finally {
        heap.delete();
      }
    }
    assert.throws(() => pe.sinusoidalTable(3000, 256, { start: 100, count: 2950 }), /start \+ count must be at most maxLen = 3000, got 100 \+ 2950/);
  });

  test('sinusoidalTable at a large position keeps float64 angles', () => {
    const p = 2 ** 20 + 3;
    const t = pe.sinusoidalTable(p + 1, 64, { start: p, count: 1 });
    assertClose(t.data, ref.sinusoidalTable(p + 1, 64, { start: p, count: 1 }), 'row 2^20+3');
  });

  test('sinusoidalForward adds PE at an offset; dropout only in train mode', () => {
    const shape = [2, 5, 6];
    const x = ref.randomFloats(60, 3);
    const y = pe.sinusoidalForward({ data: x, shape }, { offset: 7 });
    assert.deepEqual(y.shape, shape);
    assertClose(y.data, ref.sinusoidalForward(Array.from(x), shape, { offset: 7 }), 'eval (p 0.1 ignored)');
    const keepMask = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 3 !== 0);
    const yt = pe.sinusoidalForward({ data: x, shape }, { p: 0.25, train: true, keepMask });
    assertClose(yt.data, ref.sinusoidalForward(Array.from(x), shape, { p: 0.25, train: true, keepMask }), 'train');
    const allDropped = pe.sinusoidalForward({ data: x, shape }, { p: 1, train: true });
    assert.ok(allDropped.data.every((v) => v === 0));
  });

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.sinusoidalTable(0, 3, { base: NaN }), 'NON_FINITE', /base/);
    assertCode(() => pe.sinusoidalForward(x3(1, 3, 5), { p: NaN, maxLen: 0 }), 'NON_FINITE', /\bp\b/);
    assertCode(() => pe.sinusoidalForward({ data: new Float32Array(3), shape: [1, 3] }, { maxLen: 0 }), 'BAD_SIZE', /maxLen/);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.sinusoidalTable(4, 6, { base: NaN }), 'NON_FINITE', /base.*NaN/);
    assertCode(() => pe.sinusoidalTable(4, 6, { base: '10000' }), 'NON_FINITE', /base.*'10000'/);
  });

  test('BAD_SIZE: zero, negative or fractional sizes, in arguments and in shapes', () => {
    assertCode(() => pe.sinusoidalTable(0, 4), 'BAD_SIZE', /maxLen.*0/);
    assertCode(() => pe.sinusoidalTable(4, -2), 'BAD_SIZE', /\bd\b.*-2/);
    assertCode(() => new pe.SinusoidalPositionalEncoding({ dim: 4, maxLen: 0 }), 'BAD_SIZE', /maxLen/);
  });

  test('ODD_DIM: odd d, head_dim (no dRot) or dRot', () => {
    assertCode(() => pe.sinusoidalTable(4, 7), 'ODD_DIM', /7/);
    assertCode(() => pe.sinusoidalForward(x3(1, 2, 5)), 'ODD_DIM', /5/);
    assertCode(() => new pe.SinusoidalPositionalEncoding({ dim: 7 }), 'ODD_DIM', /7/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.sinusoidalTable(4, 6, { base: 1 }), 'OUT_OF_RANGE', /base/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.sinusoidalTable(4, 4, { out: new Float32Array(3) }), 'SHAPE_MISMATCH', /out must have 16 elements/);
    assertCode(() => pe.sinusoidalTable(4, 4, { out: new Float64Array(16) }), 'SHAPE_MISMATCH', /out must be a Float32Array/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.sinusoidalForward(x3(1, 5, 4), { maxLen: 10, offset: 8 }), 'BAD_POSITION', /max_len|maxLen|10/);
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
});
