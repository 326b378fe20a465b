// Every function of DESIGN.md's JavaScript API against the float64 reference (reference.js, written from
// SPEC.md) and hand-derived values, in both builds.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { BUILDS, assertClose, f32, load } from './helpers.js';
import * as ref from './reference.js';

for (const build of BUILDS) {
  describe(`functions (${build.name} build)`, () => {
    let pe;
    before(async () => {
      pe = await load({ simd: build.simd });
    });

    test('features say which build runs', () => {
      assert.equal(pe.features.simd, build.simd);
      assert.match(pe.features.version, /^\d+\.\d+\.\d+/);
      assert.equal(typeof pe.features.arch, 'string');
      if (!build.simd) assert.equal(pe.features.arch, 'scalar');
    });

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

    test('large results for JS arrays (made in slices) equal the in-place heap results bit for bit', () => {
      // sinusoidalTable and ropeForward stream big arrays through a small heap scratch; the values must
      // not depend on how the work was cut.
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
      const shape = [2, 30, 300, 64];  // 60 heads x 300 positions: scratch slices of 8 heads x 256, then 44
      const x = Float32Array.from({ length: 2 * 30 * 300 * 64 }, (_, i) => Math.sin(i * 0.37));
      const dynamic = { scaling: { rope_type: 'dynamic', factor: 2 }, maxPositionEmbeddings: 64 };
      for (const opts of [{ layout: 'half' }, { layout: 'interleaved' }, { ...dynamic, layout: 'interleaved' },
        { inverse: true, dRot: 32 }, { ...dynamic, seqLen: 50 }]) {
        const t = pe.tensor(x, shape);
        try {
          pe.ropeForward(t, { ...opts, offset: 33, out: t });
          const sliced = pe.ropeForward({ data: x, shape }, { ...opts, offset: 33 });
          assert.deepEqual(sliced.data, t.read(), JSON.stringify(opts));
        } finally {
          t.delete();
        }
      }
      // The last position is checked before any slice is written: the whole call's error, out untouched.
      const out = new Float32Array(x.length).fill(7);
      assert.throws(() => pe.ropeForward({ data: x, shape }, { offset: 2147483647 - 50, out }),
        /offset \+ seq - 1 must be at most 2\^31-1 = 2147483647, got 2147483597 \+ 300 - 1/);
      assert.ok(out.every((v) => v === 7));
      assert.throws(() => pe.sinusoidalTable(3000, 256, { start: 100, count: 2950 }), /start \+ count must be at most maxLen = 3000, got 100 \+ 2950/);
    });

    test('sinusoidalTable at a large position keeps float64 angles (SPEC P5)', () => {
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
      const zeros = pe.sinusoidalForward({ data: x, shape }, { p: 1, train: true });
      assert.ok(zeros.data.every((v) => v === 0));
    });

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

    test('xposApply: queries and keys against the reference, centre and layout', () => {
      const shape = [1, 2, 6, 8];
      const x = ref.randomFloats(96, 13);
      for (const role of ['q', 'k']) {
        assertClose(pe.xposApply({ data: x, shape }, { role, offset: 100 }).data,
          ref.xposApply([...x], shape, { role, offset: 100 }), `${role}`, { abs: 1e-5, rel: 1e-5 });
        assertClose(pe.xposApply({ data: x, shape }, { role, center: 50, layout: 'half', positions: Int32Array.from([0, 3, 5, 8, 60, 61]) }).data,
          ref.xposApply([...x], shape, { role, center: 50, layout: 'half', positions: [0, 3, 5, 8, 60, 61] }), `${role} half centred`, { abs: 1e-5, rel: 1e-5 });
      }
    });

    test('alibiSlopes: the hand lists of SPEC §6 and the authors\' get_slopes for n = 1…64', () => {
      const s8 = pe.alibiSlopes(8);
      assert.ok(s8 instanceof Float32Array);
      assertClose(s8, [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256], 'n = 8');
      assertClose(pe.alibiSlopes(3), [2 ** -4, 2 ** -8, 2 ** -2], 'n = 3');
      assertClose(pe.alibiSlopes(12), [...Array.from({ length: 8 }, (_, i) => 2 ** -(i + 1)), 2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5], 'n = 12');
      for (let n = 1; n <= 64; ++n) assertClose(pe.alibiSlopes(n), ref.alibiSlopes(n), `n = ${n}`);
    });

    test('alibiBias in the three modes, default and explicit qOffset', () => {
      for (const mode of ['causal', 'symmetric', 'key_only']) {
        const got = pe.alibiBias(6, 3, 7, { mode });
        assert.deepEqual(got.shape, [6, 3, 7]);
        assertClose(got.data, ref.alibiBias(6, 3, 7, { mode }), mode);
        assertClose(pe.alibiBias(4, 5, 5, { mode, qOffset: 1 }).data, ref.alibiBias(4, 5, 5, { mode, qOffset: 1 }), `${mode} qOffset 1`);
      }
      // One head: slope 2^-8; the query sits at position 2, so keys 0, 1, 2 get −2m, −m, 0.
      assertClose(pe.alibiBias(1, 1, 3).data, [-2 / 256, -1 / 256, 0], 'one head, last query');
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

    test('sdpa: plain, bias 3-D and 4-D, ALiBi mode and slopes inside the kernel, causal bottom-right, probs', () => {
      const [B, H, Q, K, D, Dv] = [2, 2, 3, 5, 4, 3];
      const q = ref.randomFloats(B * H * Q * D, 21), k = ref.randomFloats(B * H * K * D, 22), v = ref.randomFloats(B * H * K * Dv, 23);
      const T = (data, shape) => ({ data, shape });
      const args = [T(q, [B, H, Q, D]), T(k, [B, H, K, D]), T(v, [B, H, K, Dv])];
      const R = (o) => ref.sdpa([...q], [...k], [...v], [B, H, Q, K, D, Dv], o);
      const plain = pe.sdpa(...args, { returnProbs: true });
      assert.deepEqual(plain.out.shape, [B, H, Q, Dv]);
      assert.deepEqual(plain.probs.shape, [B, H, Q, K]);
      assertClose(plain.out.data, R().out, 'out');
      assertClose(plain.probs.data, R().probs, 'probs');
      assert.equal(pe.sdpa(...args).probs, undefined);
      const bias3 = ref.randomFloats(H * Q * K, 24);
      assertClose(pe.sdpa(...args, { bias: T(bias3, [H, Q, K]) }).out.data, R({ bias: [...bias3] }).out, 'bias 3-D');
      const bias4 = ref.randomFloats(B * H * Q * K, 25);
      assertClose(pe.sdpa(...args, { bias: T(bias4, [B, H, Q, K]) }).out.data, R({ bias: [...bias4], biasHasBatch: true }).out, 'bias 4-D');
      for (const alibi of ['causal', 'symmetric', 'key_only']) {
        assertClose(pe.sdpa(...args, { alibi, causal: true }).out.data, R({ alibi, causal: true }).out, `alibi ${alibi}`);
      }
      const slopes = Float32Array.from([0.3, 0.05]);
      assertClose(pe.sdpa(...args, { alibi: slopes }).out.data, R({ slopes: [...slopes] }).out, 'alibi slopes');
      const c = pe.sdpa(...args, { causal: true, returnProbs: true, scale: 0.7 });
      assertClose(c.out.data, R({ causal: true, scale: 0.7 }).out, 'causal');
      // Bottom-right: query 0 sits at position K − Q = 2, so keys 3 and 4 get zero weight.
      assert.equal(c.probs.data[3], 0);
      assert.equal(c.probs.data[4], 0);
      assertClose(pe.sdpa(...args, { causal: true, qOffset: 0 }).out.data, R({ causal: true, qOffset: 0 }).out, 'causal top-left');
      // A fully masked row (−∞ bias everywhere) gives zeros, never NaN.
      const masked = new Float32Array(H * Q * K).fill(-Infinity);
      const z = pe.sdpa(...args, { bias: T(masked, [H, Q, K]), returnProbs: true });
      assert.ok(z.out.data.every((x) => x === 0) && z.probs.data.every((x) => x === 0));
    });

    test('dropout: mask (any 0/1 typed array), p = 1, eval identity', () => {
      const x = ref.randomFloats(12, 31);
      const X = { data: x, shape: [3, 4] };
      const mask = Float64Array.from({ length: 12 }, (_, i) => i % 2);
      const y = pe.dropout(X, { p: 0.2, train: true, keepMask: mask });
      assert.deepEqual(y.shape, [3, 4]);
      assertClose(y.data, ref.dropout([...x], { p: 0.2, train: true, keepMask: mask }), 'mask');
      assert.ok(pe.dropout(X, { p: 1, train: true }).data.every((v) => v === 0));
      assert.deepEqual(Array.from(pe.dropout(X, { p: 0.5 }).data), Array.from(x));
      // Seeded masks are reproducible and keep about 1 − p.
      const big = { data: new Float32Array(10000).fill(1), shape: [10000] };
      const a = pe.dropout(big, { p: 0.3, train: true, seed: 7 }).data;
      assert.deepEqual(a, pe.dropout(big, { p: 0.3, train: true, seed: 7 }).data);
      const kept = a.filter((v) => v !== 0).length / 10000;
      assert.ok(kept > 0.65 && kept < 0.75, `kept ${kept}`);
    });

    test('out: a typed array, a {data, shape} and the same input array all receive the result', () => {
      const x = ref.randomFloats(2 * 1 * 3 * 4, 41);
      const expected = ref.ropeForward([...x], [2, 1, 3, 4]);
      const into = new Float32Array(24);
      const r1 = pe.ropeForward({ data: x, shape: [2, 1, 3, 4] }, { out: into });
      assert.equal(r1.data, into);
      assertClose(into, expected, 'typed array out');
      const t = { data: new Float32Array(24), shape: [2, 1, 3, 4] };
      assert.equal(pe.ropeForward({ data: x, shape: [2, 1, 3, 4] }, { out: t }).data, t.data);
      assertClose(t.data, expected, '{data, shape} out');
      const same = Float32Array.from(x);
      pe.ropeForward({ data: same, shape: [2, 1, 3, 4] }, { out: same });
      assertClose(same, expected, 'in place on a JS array');
    });

    test('results of copying calls are owned copies that survive later calls and memory growth', () => {
      const t = pe.sinusoidalTable(8, 4);
      const before = Array.from(t.data);
      const big = pe.alloc([64 * 1024 * 1024 / 4]); // 64 MiB: grows memory
      big.delete();
      pe.sinusoidalTable(8, 4, { base: 3 });
      assert.equal(t.data.length, 32);
      assert.deepEqual(Array.from(t.data), before);
    });
  });
}
