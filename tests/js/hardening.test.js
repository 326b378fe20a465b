// A hostile caller: getters that change their answer, typed arrays that lie about their length, views that
// detach when memory grows, outputs over inputs, sizes past what 32-bit WebAssembly holds. Each case ends
// in a correct result or a coded error, with nothing written out of bounds and nothing leaked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { assertClose, assertCode, describeBuilds, x4 } from './helpers.js';
import * as ref from './reference.js';

class LyingLength extends Float32Array {
  get length() {
    return 64;
  }
}
// An `out` whose own methods must never run: set() throws after calling back into posenc.
const evilOut = (pe, n) => {
  const out = new Float32Array(n);
  out.set = () => {
    pe.sinusoidalTable(4, 4);
    throw new Error('set() of the caller');
  };
  return out;
};
// A value read through a getter that counts its reads and answers `later` from the second read on.
function countingEntry(first, later, shape) {
  const entry = { reads: 0, shape };
  Object.defineProperty(entry, 'data', { enumerable: true, get: () => (entry.reads++ === 0 ? first : later) });
  return entry;
}
const handles = (pe) => pe.memoryStats().inUse;

describeBuilds('hardening', (pe) => {
  test('loadStateDict reads each entry once: a getter answering a longer array later writes nothing past a buffer', () => {
    const guard = pe.tensor(new Float32Array(64).fill(7));
    const learned = new pe.LearnedPositionalEmbedding({ dim: 4, maxLen: 2 });
    const good = Float32Array.from({ length: 8 }, (_, i) => i);
    const entry = countingEntry(good, new Float32Array(4096).fill(9), [2, 4]);
    learned.loadStateDict({ table: entry });
    assert.equal(entry.reads, 1);
    assert.deepEqual(learned.stateDict().table.data, good);
    assert.deepEqual(guard.read(), new Float32Array(64).fill(7), 'a neighbouring heap tensor is untouched');
    for (const m of [new pe.SinusoidalPositionalEncoding({ dim: 4, maxLen: 3 }), new pe.RotaryPositionalEmbedding({ dim: 4 }),
      new pe.ALiBiPositionalEncoding({ numHeads: 2, maxLen: 3 })]) {
      const [key, own] = Object.entries(m.stateDict())[0];
      const e = countingEntry(own.data, new Float32Array(own.data.length + 100), own.shape);
      m.loadStateDict({ [key]: e });
      assert.equal(e.reads, 1, `${m.constructor.name}: state.${key} read once`);
      m.delete();
    }
    learned.delete();
    guard.delete();
  });

  test('a typed array whose length lies, or a Proxy, is judged by its real buffer: coded errors, no over-read', () => {
    const lying = new LyingLength(2);
    assertCode(() => pe.dropout({ data: lying, shape: [64] }), 'SHAPE_MISMATCH', /x.data has 2 elements/);
    assertCode(() => pe.dropout({ data: new Float32Array(64), shape: [64] }, { out: new LyingLength(2) }), 'SHAPE_MISMATCH', /got 2/);
    assertCode(() => pe.dropout({ data: new Proxy(new Float32Array(4), {}), shape: [4] }), 'SHAPE_MISMATCH', /must be a Float32Array/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { positions: new Proxy(new Int32Array(1), {}) }), 'SHAPE_MISMATCH', /positions/);
    // Its real length is what counts, and an `out`'s own set() is never called.
    const real4 = LyingLength.from([1, 2, 3, 4]);
    const out = evilOut(pe, 4);
    assert.equal(pe.dropout({ data: real4, shape: [4] }, { out }).data, out);
    assert.deepEqual(Array.from(out), [1, 2, 3, 4]);
  });

  test('views of WebAssembly memory: correct when memory grows during the call; detached views are a coded error', () => {
    const [K, D] = [3, 4];
    const k = pe.tensor(ref.randomFloats(K * D, 1), [1, 1, K, D]);
    const v = pe.tensor(ref.randomFloats(K * D, 2), [1, 1, K, D]);
    const Q = Math.ceil(pe.memoryStats().heapBytes / (D * 4)) + 1; // q's copy alone grows memory
    const q = { data: ref.randomFloats(Q * D, 3), shape: [1, 1, Q, D] };
    const kView = { data: k.data.subarray(0), shape: k.shape };
    const vView = { data: v.data.subarray(0), shape: v.shape };
    const heapBefore = pe.memoryStats().heapBytes;
    const got = pe.sdpa(q, kView, vView, { qOffset: 0 }).out.data;
    assert.ok(pe.memoryStats().heapBytes > heapBefore, 'memory grew during the call');
    const expected = pe.sdpa({ data: q.data.subarray(0, 8 * D), shape: [1, 1, 8, D] }, { data: k.read(), shape: k.shape },
      { data: v.read(), shape: v.shape }, { qOffset: 0 }).out.data;
    assertClose(got.subarray(0, 8 * D), expected, 'rows computed from the grown-away views');
    assertCode(() => pe.dropout(kView), 'SHAPE_MISMATCH', /detached/);
    // An `out` that is a view of WebAssembly memory is written in place, also when memory grows meanwhile.
    const target = pe.alloc([4]);
    const big = { data: ref.randomFloats(Q * D, 4), shape: [Q * D] };
    pe.dropout({ data: Float32Array.of(1, 2, 3, 4), shape: [4] }, { out: target.data });
    assert.deepEqual(Array.from(target.read()), [1, 2, 3, 4]);
    pe.dropout(big); // keeps working after
    for (const t of [k, v, target]) t.delete();
  });

  test('an out whose own set() throws or calls posenc: the streaming paths never call it, and leak nothing', () => {
    const emval = () => pe.memoryStats().handles;
    const table = pe.sinusoidalTable(600, 512).data;
    const x = { data: ref.randomFloats(4 * 2 * 64 * 64, 5), shape: [4, 2, 64, 64] };
    const rotated = pe.ropeForward(x, { offset: 3 }).data;
    const sameBytes = (a, b) => assert.equal(Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)), 0);
    const run = () => {
      sameBytes(pe.sinusoidalTable(600, 512, { out: evilOut(pe, table.length) }).data, table);
      sameBytes(pe.ropeForward(x, { offset: 3, out: evilOut(pe, x.data.length) }).data, rotated);
    };
    run();
    const [heap, emvals] = [handles(pe), emval()];
    for (let i = 0; i < 100; ++i) run();
    assert.equal(handles(pe), heap, 'heap in use');
    assert.equal(emval(), emvals, 'embind handles');
  });

  test('ropeForward takes any valid shape from a JS array (large heads fall back from the scratch)', () => {
    const shape = [1, 1, 256, 1024];
    const x = ref.randomFloats(256 * 1024, 6);
    const got = pe.ropeForward({ data: x, shape }, { offset: 2 }).data;
    const t = pe.tensor(x, shape);
    assert.deepEqual(got, pe.ropeForward(t, { offset: 2 }).data);
    t.delete();
  });

  test('one size limit, 2^28 elements, checked before anything is allocated', () => {
    const before = pe.memoryStats();
    assertCode(() => pe.sinusoidalTable(10, 4, { count: 1e10 }), 'BAD_SIZE', /count/);
    assertCode(() => pe.sinusoidalTable(2 ** 28, 7), 'ODD_DIM');
    assertCode(() => pe.sinusoidalTable(2 ** 27, 8), 'BAD_SIZE', /268435456 \(2\^28\)/);
    assertCode(() => pe.alibiBias(4, 2 ** 13, 2 ** 14), 'BAD_SIZE', /2\^28/);
    assertCode(() => pe.alloc([131072, 4096]), 'BAD_SIZE', /2\^28/);
    assertCode(() => new pe.ALiBiPositionalEncoding({ numHeads: 8, maxLen: 2 ** 14 }), 'BAD_SIZE', /cached causal bias/);
    assertCode(() => new pe.LearnedPositionalEmbedding({ dim: 2 ** 16, maxLen: 2 ** 16 }), 'BAD_SIZE', /table/);
    assertCode(() => pe.dropout({ data: new Float32Array(4), shape: [4] }, { keepMask: Object.assign([], { length: 2 ** 30 }) }), 'BAD_SIZE', /keepMask/);
    assert.equal(pe.memoryStats().heapBytes, before.heapBytes, 'no memory grown');
  });

  test('sizes and positions beyond int32 are coded errors naming the limit', () => {
    assertCode(() => new pe.RotaryPositionalEmbedding({ dim: 2 ** 40 }), 'BAD_SIZE', /2147483647/);
    assertCode(() => pe.ropeParams(2 ** 40), 'BAD_SIZE', /2147483647/);
    assertCode(() => pe.ropeParams(2 ** 31), 'BAD_SIZE', /2147483647/);
    assertCode(() => pe.ropeParams(2 ** 31 - 2), 'BAD_SIZE', /2\^28/);
    assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { offset: 3e9 }), 'BAD_POSITION', /2147483647/);
    assertCode(() => pe.ropeForward(x4(1, 1, 2, 4), { offset: 2 ** 31 - 1 }), 'BAD_POSITION', /offset \+ seq - 1 must be at most 2\^31-1 = 2147483647/);
    assertCode(() => pe.xposApply(x4(1, 1, 3, 4), { offset: 2 ** 31 - 2 }), 'BAD_POSITION', /2\^31-1/);
    assertCode(() => pe.alibiBias(1, 3, 3, { qOffset: 2 ** 31 - 2 }), 'BAD_POSITION', /qOffset \+ qLen - 1/);
    // Out of memory inside C++ names the call, not just "std::bad_alloc".
    assertCode(() => new pe.RotaryPositionalEmbedding({ dim: 2 ** 29 }), 'BAD_SIZE', /could not be allocated|could not allocate/);
  });

  test('an out over an input is rejected unless it is that input, in place', () => {
    const t = (shape, seed) => pe.tensor(ref.randomFloats(shape.reduce((a, b) => a * b), seed), shape);
    const q = t([1, 1, 2, 4], 1), k = t([1, 1, 3, 4], 2), v = t([1, 1, 3, 4], 3);
    const sdpaOut = t([1, 1, 2, 4], 4);
    assertCode(() => pe.sdpa(q, k, v, { out: k.data.subarray(0, 8) }), 'SHAPE_MISMATCH', /out overlaps k/);
    assertCode(() => pe.sdpa(q, k, v, { out: v.data.subarray(4, 12) }), 'SHAPE_MISMATCH', /out overlaps v/);
    assertCode(() => pe.sdpa(q, k, v, { out: q }), 'SHAPE_MISMATCH', /out overlaps q/);
    const table = t([3, 4], 5);
    assertCode(() => pe.learnedForward({ data: new Float32Array(12), shape: [1, 3, 4] }, table, { out: table.data }), 'SHAPE_MISMATCH', /overlaps table/);
    const rope = new pe.RotaryPositionalEmbedding({ dim: 4 });
    const k2 = t([1, 1, 2, 4], 6);
    assertCode(() => rope.forward(q, k2, { qOut: k2 }), 'SHAPE_MISMATCH', /qOut overlaps k/);
    // In place where natural: the same result as into a fresh array.
    const same = (what, fresh, inPlace) => assertClose(inPlace, fresh, what, { abs: 0, rel: 0 });
    const x = t([1, 2, 3, 4], 7);
    const x3 = t([1, 3, 4], 8);
    const cases = [
      ['ropeForward', (o) => pe.ropeForward(x, { offset: 1, ...o }), x],
      ['xposApply', (o) => pe.xposApply(x, { role: 'k', ...o }), x],
      ['dropout', (o) => pe.dropout(x, { p: 0.5, train: true, seed: 3, ...o }), x],
      ['sinusoidalForward', (o) => pe.sinusoidalForward(x3, { offset: 2, ...o }), x3],
      ['learnedForward', (o) => pe.learnedForward(x3, table, { useLn: true, scale: 2, ...o }), x3],
    ];
    for (const [what, call, input] of cases) {
      const saved = input.read();
      const fresh = call({}).data;
      call({ out: input });
      same(what, fresh, input.read());
      input.write(saved);
    }
    const [rq, rk] = rope.forward(q, k2, { offset: 1 });
    rope.forward(q, k2, { offset: 1, qOut: q, kOut: k2 });
    same('rotary q', rq.data, q.read());
    same('rotary k', rk.data, k2.read());
    rope.delete();
    for (const h of [q, k, v, sdpaOut, table, k2, x, x3]) h.delete();
  });

  test('small ones: options checked for empty input, a null-prototype dtype, INTERNAL in ErrorCode', () => {
    assertCode(() => pe.t5Buckets(new Int32Array(0), { numBuckets: 2 }), 'OUT_OF_RANGE', /numBuckets/);
    assertCode(() => pe.alloc([2], Object.create(null)), 'OUT_OF_RANGE', /dtype/);
    const dts = readFileSync(new URL('../../bindings/index.d.ts', import.meta.url), 'utf8');
    assert.match(/export type ErrorCode =[^;]*;/.exec(dts)[0], /'INTERNAL'/);
  });

  test('finite parameters that would overflow float32 are OUT_OF_RANGE naming the limit, or computed finite', () => {
    const x = x4(1, 1, 2, 8, 3);
    assertCode(() => pe.xposApply(x, { role: 'k', offset: 40000 }), 'OUT_OF_RANGE', /at most 80/);
    assertCode(() => pe.xposApply(x, { center: 65536 }), 'OUT_OF_RANGE', /at most 80/);
    const yarn = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 4096 };
    assertCode(() => pe.ropeForward(x, { scaling: { ...yarn, attention_factor: 1e39 } }), 'OUT_OF_RANGE', /attention factor must be at most 1000000/);
    assertCode(() => pe.ropeForward(x, { scaling: { ...yarn, attention_factor: 0 }, inverse: true }), 'OUT_OF_RANGE', /with inverse/);
    const longrope = { rope_type: 'longrope', original_max_position_embeddings: 4096, short_factor: [1e-320, 1, 1, 1], long_factor: [1, 1, 1, 1] };
    assertCode(() => pe.ropeForward(x, { scaling: longrope, maxPositionEmbeddings: 8192 }), 'OUT_OF_RANGE', /inverse frequency 0 must be at most/);
    const dynamic = pe.ropeForward(x, { scaling: { rope_type: 'dynamic', factor: 2 ** 60 }, maxPositionEmbeddings: 4096 }).data;
    assert.deepEqual(dynamic, pe.ropeForward(x, {}).data, 'within the trained length dynamic is plain RoPE');
    assertCode(() => pe.sdpa(x, x, x, { scale: 1e39 }), 'OUT_OF_RANGE', /scale must be at most 1e6/);
    const table = { data: new Float32Array(16).fill(0.5), shape: [2, 8] };
    const seq = { data: new Float32Array(8).fill(1), shape: [1, 1, 8] };
    assertCode(() => pe.learnedForward(seq, table, { scale: 1e39 }), 'OUT_OF_RANGE', /scale must be at most 1e6/);
    assertCode(() => pe.learnedForward(seq, table, { useLn: true, eps: 1e-300 }), 'OUT_OF_RANGE', /eps must be at least 1e-30/);
    assert.ok(pe.learnedForward(seq, table, { useLn: true, eps: 1e-30 }).data.every((v) => v === 0), 'a constant row normalizes to 0');
  });

  test('a wide sinusoidal table keeps its scratch proportional to the work and never runs out of memory', () => {
    for (const d of [2 ** 21, 2 ** 23]) {
      const t = pe.sinusoidalTable(1, d).data;
      assert.equal(t.length, d);
      assert.ok(t[0] === 0 && t[1] === 1, 'row 0 is sin 0, cos 0');
      assert.ok(pe.memoryStats().inUse < 64 * 2 ** 20, `heap in use after (1, ${d}): ${pe.memoryStats().inUse} bytes`);
    }
  });

  test('NaN policy: NaN or ±Infinity in an option is NON_FINITE; NaN in tensor data propagates', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      assertCode(() => pe.ropeForward(x4(1, 1, 1, 4), { base: bad }), 'NON_FINITE', /base/);
      assertCode(() => pe.sdpa(x4(1, 1, 1, 4), x4(1, 1, 1, 4), x4(1, 1, 1, 4), { scale: bad }), 'NON_FINITE', /scale/);
      assertCode(() => pe.dropout(x4(1, 1, 1, 4), { p: bad }), 'NON_FINITE', /p/);
      assertCode(() => pe.xposApply(x4(1, 1, 1, 4), { gamma: bad }), 'NON_FINITE', /gamma/);
      assertCode(() => pe.ropeParams(4, { scaling: { rope_type: 'linear', factor: bad } }), 'NON_FINITE', /factor/);
    }
    const x = x4(1, 1, 2, 4, 1);
    x.data[1] = NaN;
    const y = pe.ropeForward(x, { offset: 1, layout: 'interleaved' }).data;
    assert.ok(Number.isNaN(y[0]) && Number.isNaN(y[1]), 'the NaN pair stays NaN');
    assert.ok(y.slice(2).every(Number.isFinite), 'every other value is finite');
  });
});
