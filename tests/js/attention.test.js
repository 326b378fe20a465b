// Attention: sdpa with biases, ALiBi, causal masks and probabilities against the float64 reference;
// grouped-query heads, key padding, masks, sliding and chunked windows, sinks, query temperature and
// soft-capping as the models that use them define them (reference.js cites each); decoding through a
// KVCache; model-shaped layers; sdpaBackward against finite differences and the analytic float64 gradient;
// and every error.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GRADIENT_EXACT, GRADIENT_FD, assertClose, assertCode, describeBuilds, dispose, f32, gradientTensor, x3, x4 } from './helpers.js';
import * as grad from './reference-gradients.js';
import * as ref from './reference.js';

// float32 sums over up to 1000 keys and 256 dims against float64: a looser bound than one rounding.
const LOOSE = { abs: 2e-5, rel: 2e-4 };
const T = (data, shape) => ({ data, shape });

// Random q [B,H,Q,D], k [B,Hkv,K,D], v [B,Hkv,K,Dv] (q scaled by qScale) and a comparer against the
// reference: out, probs, no NaN, and each probability row summing to 1 (0 for a row with no visible key,
// at most 1 with sinks).
function problem({ B = 1, H, Hkv = H, Q, K, D, Dv = D, seed = 1, qScale = 1 }) {
  const q = ref.randomFloats(B * H * Q * D, seed).map((x) => x * qScale);
  const k = ref.randomFloats(B * Hkv * K * D, seed + 1), v = ref.randomFloats(B * Hkv * K * Dv, seed + 2);
  const args = [T(q, [B, H, Q, D]), T(k, [B, Hkv, K, D]), T(v, [B, Hkv, K, Dv])];
  const dims = [B, H, Q, K, D, Dv];
  const reference = (o = {}) => ref.sdpa(Float64Array.from(q), Float64Array.from(k), Float64Array.from(v), dims, { kvHeads: Hkv, ...o });
  return { q, k, v, args, dims, reference };
}

// The reference's options from sdpa's: typed arrays as plain arrays, the mask's shape padded to 4 dims.
function refOptions(o) {
  const r = { ...o };
  if (o.bias) Object.assign(r, { bias: [...o.bias.data], biasHasBatch: o.bias.shape.length === 4 });
  if (o.alibi && typeof o.alibi !== 'string') Object.assign(r, { alibi: null, slopes: [...o.alibi] });
  if (o.keyPadding) r.keyPadding = [...(o.keyPadding.data ?? o.keyPadding)];
  if (o.mask) {
    const s = o.mask.shape;
    r.mask = { data: [...o.mask.data], shape: [...Array(4 - s.length).fill(1), ...s], keep: o.mask.data instanceof Uint8Array };
  }
  if (o.sinks) r.sinks = [...o.sinks];
  for (const key of ['returnProbs', 'out', 'probsOut']) delete r[key];
  return r;
}

// The reference values of each case, computed once for both builds.
const expectedOf = new Map();
function check(pe, p, o, what, tol = LOOSE) {
  const got = pe.sdpa(...p.args, { ...o, returnProbs: true });
  if (!expectedOf.has(what)) expectedOf.set(what, p.reference(refOptions(o)));
  const exp = expectedOf.get(what);
  assert.ok(!got.out.data.some(Number.isNaN) && !got.probs.data.some(Number.isNaN), `${what}: NaN`);
  assertClose(got.out.data, exp.out, `${what}: out`, tol);
  assertClose(got.probs.data, exp.probs, `${what}: probs`, tol);
  const [B, H, Q, K] = [p.dims[0], p.dims[1], p.dims[2], p.dims[3]];
  for (let r = 0; r < B * H * Q; ++r) {
    let sum = 0, expSum = 0;
    for (let j = 0; j < K; ++j) {
      sum += got.probs.data[r * K + j];
      expSum += exp.probs[r * K + j];
    }
    if (expSum === 0) assert.equal(sum, 0, `${what}: row ${r} has no visible key, its probs must be 0`);
    else if (o.sinks) assert.ok(sum <= 1 + 1e-5, `${what}: row ${r} sums to ${sum} with sinks`);
    else assert.ok(Math.abs(sum - 1) < 1e-5, `${what}: row ${r} sums to ${sum}`);
  }
  return got;
}

describeBuilds('attention', (pe) => {
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

  test('several faults: the order of error codes (NON_FINITE, sizes, …, SHAPE_MISMATCH, BAD_POSITION)', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: NaN }), 'NON_FINITE', /scale/);
    assertCode(() => pe.sdpa(x4(1, 1, 2, 2), x4(1, 1, 2, 3), x4(1, 1, 2, 2), { scale: 0 }), 'OUT_OF_RANGE', /scale must be > 0, got 0/);
  });

  test('sdpa: a negative default qOffset (qLen > kLen) is BAD_POSITION even without causal or ALiBi', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2)), 'BAD_POSITION', /^qOffset \(default kLen - qLen\).*-1/);
    assert.deepEqual(pe.sdpa(x4(1, 1, 3, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { qOffset: 0 }).out.shape, [1, 1, 3, 2]);
  });

  test('NON_FINITE: NaN, Infinity or a non-number where a float parameter goes', () => {
    assertCode(() => pe.sdpa(x4(1, 2, 1, 2), x4(1, 2, 1, 2), x4(1, 2, 1, 2), { alibi: Float32Array.from([NaN, 1]) }), 'NON_FINITE', /slope|alibi/);
  });

  test('OUT_OF_RANGE: base, p, eps, scale, factors, betas, T5 limits, xPos exponent, unknown names', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { scale: -1 }), 'OUT_OF_RANGE', /scale/);
    assertCode(() => pe.sdpa(x4(1, 1, 1, 2), x4(1, 1, 1, 2), x4(1, 1, 1, 2), { causal: 'yes' }), 'OUT_OF_RANGE', /causal.*'yes'/);
  });

  test('SHAPE_MISMATCH: wrong types, lengths, ranks and disagreeing shapes', () => {
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 3), x4(1, 2, 5, 4)), 'SHAPE_MISMATCH', /k\.shape/);
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 4, 4)), 'SHAPE_MISMATCH', /v\.shape/);
    assertCode(() => pe.sdpa(x4(1, 2, 3, 4), x4(1, 2, 5, 4), x4(1, 2, 5, 4), { bias: x3(2, 3, 4) }), 'SHAPE_MISMATCH', /bias\.shape/);
  });

  test('BAD_POSITION: negative or too large positions, offset past maxLen, negative qOffset', () => {
    assertCode(() => pe.sdpa(x4(1, 1, 4, 2), x4(1, 1, 2, 2), x4(1, 1, 2, 2), { causal: true }), 'BAD_POSITION', /q_offset|qOffset/);
  });

  // HF repeat_kv + eager_attention_forward: query head h reads kv head floor(h / (H / Hkv)).
  test('GQA and MQA: ratios 1, 2, 4, 8 and 8:1 over head_dim 1, 3, 64, 80, 128 and kLen 1, 7, 33, 1000', () => {
    const ratios = [[8, 8], [8, 4], [8, 2], [8, 1], [4, 1]];
    let seed = 100;
    for (const D of [1, 3, 64, 80, 128]) {
      for (const K of [1, 7, 33, 1000]) {
        const [H, Hkv] = ratios[seed % ratios.length];
        const Q = K === 1000 ? 2 : Math.min(K, 5);
        const p = problem({ B: K === 1000 ? 1 : 2, H, Hkv, Q, K, D, Dv: D === 80 ? 72 : D, seed: seed++ });
        check(pe, p, {}, `D ${D} K ${K} H ${H}/${Hkv}`);
        check(pe, p, { causal: true, alibi: 'causal' }, `D ${D} K ${K} H ${H}/${Hkv} causal alibi`);
      }
    }
    // Every ratio at one shape, against K/V repeated to every head by hand (no copy inside sdpa).
    for (const [H, Hkv] of [[8, 8], [8, 4], [8, 2], [8, 1]]) {
      const p = problem({ B: 2, H, Hkv, Q: 6, K: 11, D: 5, seed: H + Hkv });
      const repeat = (x, d) => {
        const r = new Float32Array(2 * H * 11 * d);
        for (let b = 0; b < 2; ++b) {
          for (let h = 0; h < H; ++h) r.set(x.subarray(((b * Hkv + Math.floor(h / (H / Hkv))) * 11) * d, ((b * Hkv + Math.floor(h / (H / Hkv))) * 11 + 11) * d), (b * H + h) * 11 * d);
        }
        return r;
      };
      const gqa = pe.sdpa(...p.args, { causal: true });
      const mha = pe.sdpa(p.args[0], T(repeat(p.k, 5), [2, H, 11, 5]), T(repeat(p.v, 5), [2, H, 11, 5]), { causal: true });
      assert.deepEqual(gqa.out.data, mha.out.data, `GQA ${H}/${Hkv} equals MHA over repeated K/V`);
    }
  });

  // Each new option alone and with causal, qOffset, ALiBi and a bias, GQA 4/2, against the reference.
  test('keyPadding, mask (additive, keep, broadcast), window, chunkSize, sinks, queryTemperature, softcap × causal/qOffset/alibi/bias', () => {
    const [B, H, Hkv, Q, K, D, Dv] = [2, 4, 2, 5, 9, 3, 5];
    const p = problem({ B, H, Hkv, Q, K, D, Dv, seed: 7, qScale: 3 });
    const padding = Uint8Array.from({ length: B * K }, (_, i) => (i < K ? (i < 2 ? 0 : 1) : i % 4 !== 1 ? 1 : 0));
    const keep = Uint8Array.from({ length: Q * K }, (_, i) => (i * 7) % 5 !== 0);
    const options = {
      keyPadding: { keyPadding: padding },
      'keyPadding {data, shape}': { keyPadding: T(padding, [B, K]) },
      'mask additive [B,H,Q,K]': { mask: T(ref.randomFloats(B * H * Q * K, 3), [B, H, Q, K]) },
      'mask additive [Q,K] with −∞': { mask: T(Float32Array.from(ref.randomFloats(Q * K, 4), (x) => (x > 0.6 ? -Infinity : x)), [Q, K]) },
      'mask keep [1,Q,K]': { mask: T(keep, [1, Q, K]) },
      'mask keep [B,1,1,K]': { mask: T(padding, [B, 1, 1, K]) },
      'mask additive [H,1,K]': { mask: T(ref.randomFloats(H * K, 5), [H, 1, K]) },
      'window 3': { window: 3 },
      'window 1': { window: 1 },
      'chunkSize 4': { chunkSize: 4 },
      'chunkSize 3 + left padding': { chunkSize: 3, keyPadding: padding },
      sinks: { sinks: Float32Array.from([0.5, -1, 2, 0]) },
      queryTemperature: { queryTemperature: { floorScale: 3, attnScale: 0.4 } },
      softcap: { softcap: 2.5 },
    };
    const bias = T(ref.randomFloats(H * Q * K, 8), [H, Q, K]);
    const combos = { alone: {}, causal: { causal: true }, 'causal qOffset 2': { causal: true, qOffset: 2 }, 'qOffset 6': { qOffset: 6 },
      'alibi causal': { alibi: 'causal', causal: true }, 'alibi slopes': { alibi: Float32Array.from([0.5, 0.25, 0.1, 0.9]) }, bias: { bias } };
    for (const [name, o] of Object.entries(options)) {
      for (const [with_, c] of Object.entries(combos)) check(pe, p, { ...o, ...c }, `${name} + ${with_}`);
    }
    // All at once (what no single model does, but every term must compose).
    check(pe, p, { keyPadding: padding, mask: T(keep, [Q, K]), window: 4, chunkSize: 3, sinks: Float32Array.from([0, 1, 2, 3]),
      queryTemperature: { floorScale: 2, attnScale: 0.3 }, softcap: 3, causal: true, alibi: 'causal', bias, scale: 0.4 }, 'everything');
  });

  test('rows with no visible key give zeros, never NaN: padded batch rows, keep-mask rows, windows past every key', () => {
    const [B, H, Q, K, D] = [2, 2, 3, 6, 4];
    const p = problem({ B, H, Hkv: 1, Q, K, D, seed: 31 });
    const padding = new Uint8Array(B * K).fill(1).fill(0, K); // the second batch row is all padding
    for (const extra of [{}, { sinks: Float32Array.from([1, 2]) }, { causal: true, alibi: 'causal' }]) {
      const got = check(pe, p, { keyPadding: padding, ...extra }, `padded row ${JSON.stringify(Object.keys(extra))}`);
      const half = got.out.data.length / 2;
      assert.ok(got.out.data.subarray(half).every((x) => x === 0), 'a fully padded batch row gives zero outputs');
      assert.ok(got.probs.data.subarray(got.probs.data.length / 2).every((x) => x === 0), 'and zero probabilities');
    }
    // A keep-mask row of zeros, and queries whose window ends before key 0 (qOffset 0, window with causal).
    const keep = new Uint8Array(Q * K).fill(1).fill(0, K, 2 * K);
    check(pe, p, { mask: T(keep, [Q, K]) }, 'keep-mask row of zeros');
    check(pe, p, { mask: T(new Float32Array(K).fill(-Infinity), [K]) }, 'additive −∞ everywhere');
    check(pe, p, { keyPadding: Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), causal: true, qOffset: 0 }, 'left padding before query 0');
  });

  test('decode (qLen 1 at qOffset) equals the last row of prefill, for every option', () => {
    const [H, Hkv, N, D] = [4, 2, 13, 8];
    const p = problem({ H, Hkv, Q: N, K: N, D, seed: 41 });
    const last = T(p.q.slice((N - 1) * D, N * D), [1, 1, 1, D]);
    const lastQ = new Float32Array(H * D);
    for (let h = 0; h < H; ++h) lastQ.set(p.q.subarray((h * N + N - 1) * D, (h * N + N) * D), h * D);
    assert.ok(last);
    const padding = Uint8Array.from({ length: N }, (_, j) => (j < 3 ? 0 : 1));
    for (const o of [{}, { window: 4 }, { chunkSize: 5 }, { chunkSize: 5, keyPadding: padding }, { sinks: Float32Array.from([1, 0, -1, 2]) },
      { queryTemperature: { floorScale: 4, attnScale: 0.5 } }, { softcap: 1.5 }, { alibi: 'causal' }]) {
      const prefill = pe.sdpa(...p.args, { ...o, causal: true });
      const step = pe.sdpa(T(lastQ, [1, H, 1, D]), p.args[1], p.args[2], { ...o, causal: true, qOffset: N - 1 });
      const rows = new Float32Array(H * D);
      for (let h = 0; h < H; ++h) rows.set(prefill.out.data.subarray((h * N + N - 1) * D, (h * N + N) * D), h * D);
      assertClose(step.out.data, rows, `decode ${JSON.stringify(Object.keys(o))}`, { abs: 1e-6, rel: 1e-5 });
    }
  });

  test('KVCache: decoding through the cache equals sdpa over contiguous K/V; growth, clear, shapes', () => {
    const [B, H, Hkv, D, Dv, N] = [2, 6, 2, 5, 3, 40];
    const p = problem({ B, H, Hkv, Q: N, K: N, D, Dv, seed: 51 });
    const slice = (x, heads, d, from, to) => { // positions [from, to) of [B, heads, N, d]
      const r = new Float32Array(B * heads * (to - from) * d);
      for (let bh = 0; bh < B * heads; ++bh) r.set(x.subarray((bh * N + from) * d, (bh * N + to) * d), bh * (to - from) * d);
      return r;
    };
    const cache = new pe.KVCache({ batch: B, kvHeads: Hkv, headDim: D, vDim: Dv, capacity: 4 });
    try {
      assert.equal(cache.length, 0);
      assert.ok(cache.capacity >= 4, `capacity ${cache.capacity} reserves at least 4 positions`);
      // Prefill 7 positions as {data, shape}, then one at a time as bare Float32Arrays.
      cache.append(T(slice(p.k, Hkv, D, 0, 7), [B, Hkv, 7, D]), T(slice(p.v, Hkv, Dv, 0, 7), [B, Hkv, 7, Dv]));
      for (let t = 7; t < N; ++t) {
        cache.append(slice(p.k, Hkv, D, t, t + 1), slice(p.v, Hkv, Dv, t, t + 1));
        assert.equal(cache.length, t + 1);
        const q = T(slice(p.q, H, D, t, t + 1), [B, H, 1, D]);
        const k = T(slice(p.k, Hkv, D, 0, t + 1), [B, Hkv, t + 1, D]), v = T(slice(p.v, Hkv, Dv, 0, t + 1), [B, Hkv, t + 1, Dv]);
        for (const o of [{}, { window: 5 }, { chunkSize: 8, sinks: new Float32Array(H).fill(0.5) }, { alibi: 'causal', softcap: 2 }]) {
          const viaCache = pe.sdpa(q, cache, cache, { ...o, causal: true, returnProbs: true });
          const contiguous = pe.sdpa(q, k, v, { ...o, causal: true, returnProbs: true });
          assert.deepEqual(viaCache.out.shape, [B, H, 1, Dv]);
          assert.deepEqual(viaCache.probs.shape, [B, H, 1, t + 1]);
          assertClose(viaCache.out.data, contiguous.out.data, `step ${t} ${JSON.stringify(Object.keys(o))}`, { abs: 0, rel: 0 });
          assertClose(viaCache.probs.data, contiguous.probs.data, `step ${t} probs`, { abs: 0, rel: 0 });
        }
      }
      assert.ok(cache.capacity >= N && cache.capacity < 2 * N, `capacity ${cache.capacity} doubles from 4`);
      // Several queries at once (a chunked prefill step) against the cache.
      const q3 = T(slice(p.q, H, D, N - 3, N), [B, H, 3, D]);
      assertClose(pe.sdpa(q3, cache, cache, { causal: true }).out.data, p.reference({ causal: true }).out.filter((_, i) => {
        const row = Math.floor(i / Dv) % N;
        return row >= N - 3;
      }), 'three queries against the cache');
      const capacity = cache.capacity;
      cache.clear();
      assert.equal(cache.length, 0);
      assert.equal(cache.capacity, capacity, 'clear keeps the storage');
      assertCode(() => pe.sdpa(q3, cache, cache), 'BAD_SIZE', /empty/);
    } finally {
      cache[dispose]();
    }
    assert.ok(cache.deleted);
    assertCode(() => cache.length, 'DELETED', /KVCache was deleted/);
    cache.delete();
  });

  // Layers shaped as the released configs, with their real options; q scaled so softcap and windows bite.
  test('model-shaped layers: Llama 3, Mistral, Gemma 2, Llama 4 (chunked and NoPE), GPT-OSS', () => {
    // Llama 3 8B: 32 query heads over 8 kv heads, head_dim 128, causal.
    check(pe, problem({ H: 32, Hkv: 8, Q: 6, K: 6, D: 128, seed: 61 }), { causal: true }, 'Llama 3');
    // Mistral 7B v0.1: 32/8 heads, head_dim 128, sliding_window 4096; two decode steps past the window.
    check(pe, problem({ H: 32, Hkv: 8, Q: 2, K: 4098, D: 128, seed: 62 }), { causal: true, window: 4096 }, 'Mistral');
    // Gemma 2 9B: 16/8 heads, head_dim 256, scale query_pre_attn_scalar^-0.5, attn_logit_softcapping 50,
    // sliding_window 4096 on alternating layers.
    const gemma = problem({ H: 16, Hkv: 8, Q: 2, K: 4098, D: 256, seed: 63, qScale: 60 });
    check(pe, gemma, { causal: true, scale: 256 ** -0.5, softcap: 50, window: 4096 }, 'Gemma 2 local layer');
    check(pe, problem({ H: 16, Hkv: 8, Q: 5, K: 5, D: 256, seed: 64, qScale: 60 }), { causal: true, scale: 256 ** -0.5, softcap: 50 }, 'Gemma 2 global layer');
    // Llama 4 Scout: 40/8 heads, head_dim 128; RoPE layers chunked at attention_chunk_size 8192, NoPE
    // layers with attn_temperature_tuning (floor_scale 8192, attn_scale 0.1). Queries at 8191 (the
    // first chunk's last), 8192 and 8193 (the second chunk's first two); NoPE queries past 16383, where
    // the temperature steps from log1p(1) to log1p(2).
    check(pe, problem({ H: 40, Hkv: 8, Q: 3, K: 8194, D: 128, seed: 65 }), { causal: true, chunkSize: 8192 }, 'Llama 4 chunked layer');
    check(pe, problem({ H: 40, Hkv: 8, Q: 3, K: 64, D: 128, seed: 69 }),
      { causal: true, qOffset: 16382, queryTemperature: { floorScale: 8192, attnScale: 0.1 } }, 'Llama 4 NoPE layer');
    // A left-padded batch: chunks count from each row's first real token.
    const padded = problem({ B: 2, H: 5, Hkv: 1, Q: 12, K: 12, D: 8, seed: 66 });
    const padding = Uint8Array.from({ length: 24 }, (_, j) => (j >= 12 && j < 15 ? 0 : 1));
    check(pe, padded, { causal: true, chunkSize: 4, keyPadding: padding }, 'Llama 4 chunked, left padding');
    // GPT-OSS 20B: 64/8 heads, head_dim 64, a learned sink per head, sliding_window 128 on alternating layers.
    const sinks = Float32Array.from(ref.randomFloats(64, 67), (x) => 3 * x);
    const oss = problem({ H: 64, Hkv: 8, Q: 4, K: 200, D: 64, seed: 68, qScale: 4 });
    check(pe, oss, { causal: true, sinks, window: 128 }, 'GPT-OSS sliding layer');
    check(pe, oss, { causal: true, sinks }, 'GPT-OSS full layer');
  });

  test('errors of the new options and of KVCache name the argument', () => {
    const q = x4(1, 4, 2, 3), k = x4(1, 2, 5, 3), v = x4(1, 2, 5, 3);
    assertCode(() => pe.sdpa(x4(1, 3, 2, 3), k, v), 'BAD_HEADS', /heads.*multiple of kvHeads.*= 2, got 3/);
    for (const window of [0, -2, 1.5]) assertCode(() => pe.sdpa(q, k, v, { window }), 'BAD_SIZE', /^window must be a positive integer/);
    assertCode(() => pe.sdpa(q, k, v, { chunkSize: 0 }), 'BAD_SIZE', /^chunkSize/);
    assertCode(() => pe.sdpa(q, k, v, { sinks: new Float32Array(2) }), 'SHAPE_MISMATCH', /sinks.*\(4\), got 2/);
    assertCode(() => pe.sdpa(q, k, v, { sinks: Float32Array.of(0, NaN, 0, 0) }), 'NON_FINITE', /sinks/);
    assertCode(() => pe.sdpa(q, k, v, { sinks: [0, 0, 0, 0] }), 'SHAPE_MISMATCH', /sinks must be a Float32Array/);
    assertCode(() => pe.sdpa(q, k, v, { mask: T(new Float32Array(6), [3, 2]) }), 'SHAPE_MISMATCH', /mask\.shape \[3, 2\] must broadcast.*dim 0 is 3, must be 1 or 2/);
    assertCode(() => pe.sdpa(q, k, v, { mask: T(new Uint8Array(15), [3, 5]) }), 'SHAPE_MISMATCH', /dim 0 is 3, must be 1 or 2/);
    assertCode(() => pe.sdpa(q, k, v, { mask: T(new Float32Array(5), [1, 1, 1, 1, 5]) }), 'SHAPE_MISMATCH', /at most 4 dims/);
    assertCode(() => pe.sdpa(q, k, v, { mask: T(new Float64Array(5), [5]) }), 'SHAPE_MISMATCH', /mask\.data must be a Float32Array.*or a Uint8Array/);
    assertCode(() => pe.sdpa(q, k, v, { mask: new Uint8Array(5) }), 'SHAPE_MISMATCH', /^mask must be \{data/);
    assertCode(() => pe.sdpa(q, k, v, { keyPadding: new Uint8Array(4) }), 'SHAPE_MISMATCH', /keyPadding.*batch·kLen = 1·5 = 5 entries, got 4/);
    assertCode(() => pe.sdpa(q, k, v, { keyPadding: T(new Uint8Array(5), [5, 1]) }), 'SHAPE_MISMATCH', /keyPadding\.shape must be \[1, 5\]/);
    assertCode(() => pe.sdpa(q, k, v, { keyPadding: [1, 1, 2, 1, 1] }), 'OUT_OF_RANGE', /keyPadding entries must be 0 or 1/);
    assertCode(() => pe.sdpa(q, k, v, { softcap: 0 }), 'OUT_OF_RANGE', /softcap must be > 0, got 0/);
    assertCode(() => pe.sdpa(q, k, v, { softcap: Infinity }), 'NON_FINITE', /softcap/);
    assertCode(() => pe.sdpa(q, k, v, { queryTemperature: { floorScale: 0 } }), 'OUT_OF_RANGE', /queryTemperature\.floorScale must be > 0/);
    assertCode(() => pe.sdpa(q, k, v, { queryTemperature: { floor_scale: 8192 } }), 'OUT_OF_RANGE', /queryTemperature\.floor_scale is not an option.*floorScale/);
    assertCode(() => pe.sdpa(q, k, v, { queryTemperature: { attnScale: NaN } }), 'NON_FINITE', /queryTemperature\.attnScale/);
    assertCode(() => pe.sdpa(q, k, v, { windowSize: 4 }), 'OUT_OF_RANGE', /windowSize is not an option of sdpa/);
    assertCode(() => pe.sdpa(q, k, x4(1, 4, 5, 3)), 'SHAPE_MISMATCH', /v\.shape/);
    // Several faults: NON_FINITE before BAD_HEADS before BAD_SIZE before OUT_OF_RANGE before SHAPE_MISMATCH.
    assertCode(() => pe.sdpa(x4(1, 3, 2, 3), k, v, { softcap: NaN, window: 0 }), 'NON_FINITE', /softcap/);
    assertCode(() => pe.sdpa(x4(1, 3, 2, 3), k, v, { window: 0 }), 'BAD_HEADS');
    assertCode(() => pe.sdpa(q, k, v, { window: 0, softcap: -1, sinks: new Float32Array(1) }), 'BAD_SIZE');
    assertCode(() => pe.sdpa(q, k, v, { softcap: -1, sinks: new Float32Array(1) }), 'OUT_OF_RANGE');

    assertCode(() => new pe.KVCache({ kvHeads: 0, headDim: 4 }), 'BAD_HEADS', /kvHeads/);
    assertCode(() => new pe.KVCache({ kvHeads: 2 }), 'BAD_SIZE', /headDim/);
    assertCode(() => new pe.KVCache({ kvHeads: 2, headDim: 4, capacity: -1 }), 'BAD_SIZE', /capacity/);
    assertCode(() => new pe.KVCache({ kvHeads: 2, headDim: 4, heads: 8 }), 'OUT_OF_RANGE', /config\.heads is not an option of KVCache/);
    assertCode(() => new pe.KVCache({ kvHeads: 8, headDim: 128, capacity: 2 ** 20 }), 'BAD_SIZE', /elements/);
    const cache = new pe.KVCache({ batch: 1, kvHeads: 2, headDim: 3, vDim: 4 });
    try {
      assertCode(() => cache.append(new Float32Array(7), new Float32Array(8)), 'SHAPE_MISMATCH', /^k must hold batch·kvHeads·n·headDim = 1·2·n·3/);
      assertCode(() => cache.append(x4(1, 2, 1, 3), x4(1, 2, 2, 4)), 'SHAPE_MISMATCH', /same number of positions, got 1 and 2/);
      assertCode(() => cache.append(x4(1, 2, 1, 3), x4(1, 2, 1, 3)), 'SHAPE_MISMATCH', /v\.shape must be \[1, 2, 1, 4\]/);
      assertCode(() => pe.sdpa(q, cache, cache), 'BAD_SIZE', /empty/);
      cache.append(x4(1, 2, 5, 3), x4(1, 2, 5, 4));
      assert.deepEqual(pe.sdpa(q, cache, cache).out.shape, [1, 4, 2, 4]);
      assertCode(() => pe.sdpa(q, cache, null), 'SHAPE_MISMATCH', /same cache as k and v/);
      assertCode(() => pe.sdpa(q, k, cache), 'SHAPE_MISMATCH', /same cache as k and v/);
      assertCode(() => pe.sdpa(x4(1, 3, 2, 3), cache, cache), 'BAD_HEADS', /the cache's kvHeads/);
      assertCode(() => pe.sdpa(x4(2, 4, 2, 3), cache, cache), 'SHAPE_MISMATCH', /q\.shape must be \[1, 4, 2, 3\]/);
      assertCode(() => pe.sdpa(x4(1, 4, 2, 4), cache, cache), 'SHAPE_MISMATCH', /q\.shape/);
      assertCode(() => pe.sdpa(q, cache, cache, { keyPadding: new Uint8Array(4) }), 'SHAPE_MISMATCH', /1·5 = 5/);
    } finally {
      cache.delete();
    }
  });
});

describeBuilds('attention gradient', (pe) => {
  test('sdpaBackward: dq, dk, dv, dBias, dSinks by finite differences (causal, ALiBi, GQA, sinks) and the analytic reference', () => {
    const [B, H, Hkv, Q, K, D, Dv] = [1, 4, 2, 3, 4, 4, 3];
    const dims = [B, H, Hkv, Q, K, D, Dv];
    const q = gradientTensor([B, H, Q, D], 21), k = gradientTensor([B, Hkv, K, D], 22), v = gradientTensor([B, Hkv, K, Dv], 23), dOut = gradientTensor([B, H, Q, Dv], 24);
    const bias = gradientTensor([H, Q, K], 25), sinks = ref.randomFloats(H, 26);
    for (const opts of [{ causal: true, alibi: 'causal' }, { bias, sinks, scale: 0.7 }, { causal: true, qOffset: 0, sinks }]) {
      const o = { ...opts, bias: opts.bias?.data, sinks: opts.sinks };
      const got = pe.sdpaBackward(q, k, v, dOut, opts);
      const fwd = (qv, kv, vv, bv = o.bias, sv = o.sinks) => grad.sdpa(qv, kv, vv, dims, { ...o, bias: bv, sinks: sv });
      const what = Object.keys(opts).join('+');
      assertClose(got.dq.data, grad.finiteDifference((x) => fwd(x, k.data, v.data), q.data, dOut.data), `dq ${what}`, GRADIENT_FD);
      assertClose(got.dk.data, grad.finiteDifference((x) => fwd(q.data, x, v.data), k.data, dOut.data), `dk ${what}`, GRADIENT_FD);
      assertClose(got.dv.data, grad.finiteDifference((x) => fwd(q.data, k.data, x), v.data, dOut.data), `dv ${what}`, GRADIENT_FD);
      if (opts.bias) assertClose(got.dBias.data, grad.finiteDifference((x) => fwd(q.data, k.data, v.data, x), bias.data, dOut.data), 'dBias', GRADIENT_FD);
      if (opts.sinks) assertClose(got.dSinks, grad.finiteDifference((x) => fwd(q.data, k.data, v.data, o.bias, x), sinks, dOut.data), 'dSinks', GRADIENT_FD);
    }
    const bd = [2, 4, 2, 24, 32, 16, 16];
    const [qb, kb, vb, gb] = [[2, 4, 24, 16], [2, 2, 32, 16], [2, 2, 32, 16], [2, 4, 24, 16]].map((s, i) => gradientTensor(s, 30 + i));
    const got = pe.sdpaBackward(qb, kb, vb, gb, { causal: true, alibi: 'causal' });
    const e = grad.sdpaBackward(qb.data, kb.data, vb.data, gb.data, bd, { causal: true, alibi: 'causal' });
    assertClose(got.dq.data, e.dq, 'dq large', GRADIENT_EXACT);
    assertClose(got.dk.data, e.dk, 'dk large', GRADIENT_EXACT);
    assertClose(got.dv.data, e.dv, 'dv large', GRADIENT_EXACT);
  });

  test('sdpaBackward errors: heads, shapes, sinks', () => {
    const dy = f32(new Float32Array(16), [1, 1, 4, 4]);
    const kv2 = f32(new Float32Array(32), [1, 2, 4, 4]);
    assertCode(() => pe.sdpaBackward(f32(new Float32Array(48), [1, 3, 4, 4]), kv2, kv2, f32(new Float32Array(48), [1, 3, 4, 4])), 'BAD_HEADS', /divide/);
    assertCode(() => pe.sdpaBackward(dy, dy, dy, f32(new Float32Array(8), [1, 1, 2, 4])), 'SHAPE_MISMATCH', /dOut/);
    assertCode(() => pe.sdpaBackward(dy, dy, dy, dy, { sinks: new Float32Array(2) }), 'SHAPE_MISMATCH', /sinks/);
  });
});
