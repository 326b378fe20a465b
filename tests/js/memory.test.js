// Memory ownership: no heap or stack growth over 10,000 create/use/delete cycles of every class and 10,000
// throwing calls (measured through pe.memoryStats()); the zero-copy path in place and across memory growth;
// use after delete gives a clear error.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, dispose } from './helpers.js';
import * as ref from './reference.js';

const CYCLES = 10000;

// Runs `body` CYCLES times after a warm-up and checks malloc'd bytes and the stack pointer did not move.
function assertFlat(pe, what, body) {
  for (let i = 0; i < 50; ++i) body(i);
  const before = pe.memoryStats();
  for (let i = 0; i < CYCLES; ++i) body(i);
  const after = pe.memoryStats();
  assert.equal(after.inUse, before.inUse, `${what}: heap in use ${before.inUse} → ${after.inUse} bytes`);
  assert.equal(after.stackPointer, before.stackPointer, `${what}: stack pointer ${before.stackPointer} → ${after.stackPointer}`);
}

const throwsCode = (fn) => {
  try {
    fn();
  } catch (e) {
    return e.code;
  }
  return null;
};

describeBuilds('memory', (pe) => {
  test('10,000 create/use/delete cycles of every class leave heap and stack flat', () => {
    const x = { data: ref.randomFloats(2 * 3 * 8, 1), shape: [2, 3, 8] };
    const q = { data: ref.randomFloats(2 * 2 * 3 * 8, 2), shape: [2, 2, 3, 8] };
    assertFlat(pe, 'SinusoidalPositionalEncoding', () => {
      const m = new pe.SinusoidalPositionalEncoding({ dim: 8, maxLen: 16 });
      m.eval().forward(x);
      m.delete();
    });
    assertFlat(pe, 'LearnedPositionalEmbedding', () => {
      const m = new pe.LearnedPositionalEmbedding({ dim: 8, maxLen: 8, layerNorm: true, relative: true, numHeads: 2, maxDistance: 2 });
      m.forward(x, { offset: 1 });
      m.relativeBias(2, 3);
      m.delete();
    });
    assertFlat(pe, 'RotaryPositionalEmbedding', (i) => {
      const m = new pe.RotaryPositionalEmbedding({ dim: 8, maxLen: 2, scaling: i % 2 ? { rope_type: 'linear', factor: 2 } : null });
      m.forward(q, q, { offset: 3 }); // grows the cache past maxLen
      m[dispose]();
    });
    assertFlat(pe, 'ALiBiPositionalEncoding', () => {
      const m = new pe.ALiBiPositionalEncoding({ numHeads: 3, maxLen: 4 });
      m.bias(2, 6);
      m.delete();
    });
    assertFlat(pe, 'heap tensors', () => {
      const t = pe.tensor(q.data, q.shape);
      pe.ropeForward(t, { out: t });
      t[dispose]();
    });
  });

  test('10,000 KVCache create/append/attend/delete cycles and throwing sdpa calls leave heap and stack flat', () => {
    const q = { data: ref.randomFloats(2 * 4 * 1 * 8, 3), shape: [2, 4, 1, 8] };
    const k = { data: ref.randomFloats(2 * 2 * 3 * 8, 4), shape: [2, 2, 3, 8] };
    assertFlat(pe, 'KVCache', (i) => {
      const cache = new pe.KVCache({ batch: 2, kvHeads: 2, headDim: 8, capacity: i % 3 });
      cache.append(k, k).append(k.data, k.data); // grows past the initial capacity
      pe.sdpa(q, cache, cache, { causal: true, window: 4, sinks: new Float32Array(4), keyPadding: new Uint8Array(12).fill(1) });
      cache[dispose]();
    });
    const cache = new pe.KVCache({ batch: 2, kvHeads: 2, headDim: 8 }).append(k, k);
    try {
      assertFlat(pe, 'sdpa throws', () => {
        const codes = [
          throwsCode(() => pe.sdpa(q, k, k, { sinks: Float32Array.of(0, NaN, 0, 0), mask: { data: new Uint8Array(3), shape: [3] } })), // C++
          throwsCode(() => pe.sdpa(q, cache, cache, { sinks: Float32Array.of(0, 0, Infinity, 0), keyPadding: new Uint8Array(6) })), // C++
          throwsCode(() => pe.sdpa(q, k, k, { window: 0 })), // JS
          throwsCode(() => cache.append(k, { data: new Float32Array(3), shape: [3] })), // JS
        ];
        assert.deepEqual(codes, ['NON_FINITE', 'NON_FINITE', 'BAD_SIZE', 'SHAPE_MISMATCH']);
      });
    } finally {
      cache.delete();
    }
  });

  test('10,000 throwing calls (C++ and JS checks, functions, methods, constructors) leave heap and stack flat', () => {
    const x = { data: new Float32Array(2 * 2 * 4 * 6), shape: [2, 2, 4, 6] };
    const rope = new pe.RotaryPositionalEmbedding({ dim: 6 });
    try {
      assertFlat(pe, 'C++ throws', (i) => {
        const codes = [
          throwsCode(() => pe.sinusoidalTable(4, 7)),
          throwsCode(() => pe.ropeForward(x, { dRot: 8, scaling: { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 64 } })),
          throwsCode(() => pe.alibiBias(2, 5, 3, { mode: 'symmetric' })),
          throwsCode(() => new pe.SinusoidalPositionalEncoding({ dim: 5 })),
          throwsCode(() => rope.forward(x, x, { positions: Int32Array.of(0, 1, -i - 1, 2) })),
        ];
        assert.deepEqual(codes, ['ODD_DIM', 'ROT_DIM', 'BAD_POSITION', 'ODD_DIM', 'BAD_POSITION']);
      });
      assertFlat(pe, 'JS throws', () => {
        assert.equal(throwsCode(() => pe.ropeForward({ data: new Float64Array(4), shape: [1, 1, 1, 4] })), 'SHAPE_MISMATCH');
        assert.equal(throwsCode(() => pe.sinusoidalTable(4, 4, { out: new Float32Array(3) })), 'SHAPE_MISMATCH');
      });
    } finally {
      rope.delete();
    }
  });

  test('zero-copy: kernels run in place on heap tensors and the result is read back once', () => {
    const shape = [1, 2, 4, 8];
    const x = ref.randomFloats(64, 9);
    const t = pe.tensor(x, shape);
    try {
      const address = t.byteOffset;
      assert.equal(pe.ropeForward(t, { out: t, offset: 5 }), t);
      assert.equal(pe.xposApply(t, { out: t, role: 'k', offset: 5 }), t);
      assert.equal(t.byteOffset, address);
      const expected = ref.xposApply(ref.ropeForward([...x], shape, { offset: 5 }), shape, { role: 'k', offset: 5 });
      assertClose(t.read(), expected, 'rope then xpos in place', { abs: 1e-5, rel: 1e-5 });
      // A heap tensor as input with a fresh result leaves the input untouched.
      const before = t.read();
      const y = pe.ropeForward(t, { inverse: true, offset: 5 });
      assert.ok(y.data instanceof Float32Array && !(y.data.buffer instanceof SharedArrayBuffer));
      assert.deepEqual(t.read(), before);
      // Int32 heap tensors serve as positions.
      using_(pe.tensor(Int32Array.of(3, 1, 4, 1)), (pos) => {
        const z = pe.ropeForward({ data: x, shape }, { positions: pos });
        assertClose(z.data, ref.ropeForward([...x], shape, { positions: [3, 1, 4, 1] }), 'heap positions');
      });
    } finally {
      t.delete();
    }
  });

  test('a heap tensor survives forced memory growth: .data re-derives, old views are documented as detached', () => {
    const values = ref.randomFloats(1000, 10);
    const t = pe.tensor(values, [1000]);
    const stale = t.data;
    const heapBefore = pe.memoryStats().heapBytes;
    const big = pe.alloc([48 * 1024 * 1024 / 4]); // forces growth
    try {
      assert.ok(pe.memoryStats().heapBytes > heapBefore, 'memory grew');
      assert.equal(stale.length, 0, 'a view taken before growth is detached (why .data is a getter)');
      assert.deepEqual(t.data, values);
      assert.equal(t.data.length, 1000);
      pe.dropout(t, { out: t, p: 0.5, train: true, keepMask: new Uint8Array(1000).fill(1) });
      assertClose(t.read(), Array.from(values, (v) => v * 2), 'computed after growth');
    } finally {
      big.delete();
      t.delete();
    }
  });

  test('use after delete throws DELETED; delete twice is harmless; dispose symbol deletes', () => {
    const t = pe.alloc([4]);
    t.delete();
    t.delete();
    assert.ok(t.deleted);
    assertCode(() => t.data, 'DELETED', /deleted/);
    assertCode(() => pe.dropout(t), 'DELETED', /deleted/);
    assertCode(() => pe.dropout({ data: new Float32Array(4), shape: [4] }, { out: t }), 'DELETED', /deleted/);
    const classes = [
      new pe.SinusoidalPositionalEncoding({ dim: 4 }),
      new pe.LearnedPositionalEmbedding({ dim: 4 }),
      new pe.RotaryPositionalEmbedding({ dim: 4 }),
      new pe.ALiBiPositionalEncoding({ numHeads: 2 }),
    ];
    for (const m of classes) {
      m[dispose]();
      m.delete();
      assert.ok(m.deleted);
      assertCode(() => m.stateDict(), 'DELETED', new RegExp(`${m.constructor.name} was deleted`));
      assertCode(() => m.eval(), 'DELETED');
    }
  });

  test('pe.alloc / pe.tensor check their arguments', () => {
    assertCode(() => pe.alloc([2, 0]), 'BAD_SIZE', /shape\[1\]/);
    assertCode(() => pe.alloc([2], 'float64'), 'OUT_OF_RANGE', /dtype/);
    assertCode(() => pe.tensor([1, 2, 3]), 'SHAPE_MISMATCH', /Float32Array or Int32Array/);
    assertCode(() => pe.tensor(new Float32Array(3), [2, 2]), 'SHAPE_MISMATCH', /3 elements/);
    assertCode(() => pe.alloc([2 ** 20, 2 ** 10]), 'BAD_SIZE', /elements/);
  });
});

// `using` without the syntax (Node 20 lacks it): run body, then dispose.
function using_(resource, body) {
  try {
    return body(resource);
  } finally {
    resource[dispose]();
  }
}
