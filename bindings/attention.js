// Scaled dot-product attention as current checkpoints run it: grouped-query heads (k and v may have fewer
// heads than q, or be a KVCache), the position biases inside the kernel (an additive bias, ALiBi, a causal
// mask aligned at qOffset), key padding, a broadcast mask, sliding and chunked windows, sink logits, query
// temperature and logit soft-capping. Every option is checked here first, with the argument named.
import { bool, choice, fail, num, optNum, options, optSize, qOffsetOf, sameShape, show, showShape } from './checks.js';
import { createKVCache } from './kv-cache.js';
import { kindOf } from './typed-arrays.js';

const SDPA = ['bias', 'alibi', 'causal', 'qOffset', 'scale', 'returnProbs', 'out', 'probsOut', 'keyPadding', 'mask', 'window',
  'chunkSize', 'sinks', 'queryTemperature', 'softcap'];
const BACKWARD = ['bias', 'alibi', 'causal', 'qOffset', 'scale', 'sinks'];
const TEMPERATURE = ['floorScale', 'attnScale'];
// Llama 4's defaults (attn_temperature_tuning: floor_scale 8192, attn_scale 0.1).
const FLOOR_SCALE = 8192, ATTN_SCALE = 0.1;
const MASK_KIND = { none: 0, additive: 1, keep: 2 };

// A shape must equal want, the sizes q implies.
function agree(what, got, want) {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) fail('SHAPE_MISMATCH', `${what} must be ${showShape(want)} to match q, got ${showShape(got)}`);
  }
}

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createAttention(core) {
  const { M, enums, invoke, tensorArg, vectorArg, maskArg, valuesArg, output, lenOf, rankOf, HeapTensor } = core;
  const { KVCache } = createKVCache(core);

  // The option block's slot of each name (wire.hpp's SdpaSlot, named by C++).
  const slot = {};
  for (let i = 0, name = M.sdpaSlotName(0); name !== ''; name = M.sdpaSlotName(++i)) slot[name] = i;
  const slotCount = Object.keys(slot).length;

  function biasArg(bias, B, H, Q, K) {
    if (bias === undefined || bias === null) return null;
    const rank = rankOf(bias);
    const arg = tensorArg('bias', bias, rank === 4 ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
    agree('bias.shape', arg.shape, rank === 4 ? [B, H, Q, K] : [H, Q, K]);
    return arg;
  }

  // keyPadding: a Uint8Array (or array of 0/1) of batch·kLen, or {data: Uint8Array, shape: [batch, kLen]}.
  function keyPaddingArg(v, B, K) {
    if (v === undefined || v === null) return null;
    if (HeapTensor.is(v)) fail('SHAPE_MISMATCH', `keyPadding must be a Uint8Array or {data: Uint8Array, shape: [batch, kLen]}, got a ${v.dtype} heap tensor`);
    let arg;
    if (kindOf(v) === undefined && !Array.isArray(v) && typeof v === 'object') {
      const { data, shape } = v; // each read once
      arg = tensorArg('keyPadding', { data, shape }, ['batch', 'kLen'], Uint8Array);
      agree('keyPadding.shape', arg.shape, [B, K]);
    } else {
      arg = maskArg('keyPadding', v);
      if (arg.n !== B * K) fail('SHAPE_MISMATCH', `keyPadding must have batch·kLen = ${B}·${K} = ${B * K} entries, got ${arg.n}`);
    }
    return arg;
  }

  // mask: {data: Float32Array (added) | Uint8Array (1 = visible), shape} broadcastable to [B, H, Q, K]
  // (each dim 1 or the full size; a lower rank is padded with leading 1s), or a float32 heap tensor.
  function attentionMaskArg(v, full) {
    if (v === undefined || v === null) return null;
    let arg, kind;
    if (HeapTensor.is(v)) {
      arg = tensorArg('mask', v, null);
      kind = MASK_KIND.additive;
    } else {
      if (typeof v !== 'object' || kindOf(v) !== undefined || !('data' in v)) {
        fail('SHAPE_MISMATCH', `mask must be {data: Float32Array | Uint8Array, shape} broadcastable to [batch, heads, qLen, kLen], got ${show(v)}`);
      }
      const { data, shape } = v; // each read once
      const keep = kindOf(data) === 'Uint8Array';
      if (!keep && kindOf(data) !== 'Float32Array') {
        fail('SHAPE_MISMATCH', `mask.data must be a Float32Array (added to the scores) or a Uint8Array (1 = visible), got ${show(data)}`);
      }
      arg = tensorArg('mask', { data, shape }, null, keep ? Uint8Array : Float32Array);
      kind = keep ? MASK_KIND.keep : MASK_KIND.additive;
    }
    const s = arg.shape;
    if (s.length > 4) fail('SHAPE_MISMATCH', `mask.shape must have at most 4 dims [batch, heads, qLen, kLen], got ${showShape(s)}`);
    const padded = [...Array(4 - s.length).fill(1), ...s];
    for (let d = 0; d < 4; d++) {
      if (padded[d] !== 1 && padded[d] !== full[d]) {
        fail('SHAPE_MISMATCH', `mask.shape ${showShape(s)} must broadcast to [batch, heads, qLen, kLen] = ${showShape(full)}: ` +
          `dim ${d - (4 - s.length)} is ${padded[d]}, must be 1 or ${full[d]}`);
      }
    }
    return { arg, kind, shape: padded };
  }

  // alibi: true (the default mode), a mode name, or slopes (one per head); absent or false → none.
  function alibiArgs(v) {
    if (v === true) return { alibiMode: 0, slopes: null };
    if (typeof v === 'string') return { alibiMode: choice('alibi', v, enums.alibiMode), slopes: null };
    if (v !== undefined && v !== null && v !== false) return { alibiMode: -1, slopes: vectorArg('alibi', v) };
    return { alibiMode: -1, slopes: null };
  }

  function temperatureOf(v) {
    if (v === undefined || v === null) return null;
    const t = options(v, TEMPERATURE, 'sdpa', 'queryTemperature');
    return { floorScale: num('queryTemperature.floorScale', t.floorScale, FLOOR_SCALE), attnScale: num('queryTemperature.attnScale', t.attnScale, ATTN_SCALE) };
  }

  // k and v: tensors [B, Hkv, K, ·], or one KVCache passed as both.
  function keysOf(k, v) {
    const kCache = KVCache.is(k), vCache = KVCache.is(v);
    if (kCache || vCache) {
      if (k !== v) {
        fail('SHAPE_MISMATCH', `a KVCache holds both keys and values: pass the same cache as k and v (sdpa(q, cache, cache, options)), got ${kCache ? 'k a KVCache and v ' + show(v) : 'v a KVCache and k ' + show(k)}`);
      }
      return { cache: k };
    }
    return { ka: tensorArg('k', k, ['batch', 'kvHeads', 'kLen', 'headDim']), va: tensorArg('v', v, ['batch', 'kvHeads', 'kLen', 'vDim']) };
  }

  function sdpa(q, k, v, opts) {
    const o = options(opts, SDPA, 'sdpa');
    // NON_FINITE, then sizes, then ranges, then shapes (the order of the error codes).
    const scale = optNum('scale', o.scale);
    const softcap = optNum('softcap', o.softcap);
    const temperature = temperatureOf(o.queryTemperature);
    const qa = tensorArg('q', q, ['batch', 'heads', 'qLen', 'headDim']);
    const { cache, ka, va } = keysOf(k, v);
    const [B, H, Q, D] = qa.shape;
    const Hkv = cache ? cache.kvHeads : ka.shape[1];
    if (H % Hkv !== 0) {
      fail('BAD_HEADS', `heads (q.shape[1]) must be a multiple of kvHeads (${cache ? 'the cache\'s kvHeads' : 'k.shape[1]'}) = ${Hkv}, got ${H}`);
    }
    const window = optSize('window', o.window);
    const chunkSize = optSize('chunkSize', o.chunkSize);
    if (scale <= 0) fail('OUT_OF_RANGE', `scale must be > 0, got ${scale}`);
    if (softcap <= 0) fail('OUT_OF_RANGE', `softcap must be > 0, got ${softcap}`);
    if (temperature && !(temperature.floorScale > 0)) fail('OUT_OF_RANGE', `queryTemperature.floorScale must be > 0, got ${temperature.floorScale}`);
    let K, Dv;
    if (cache) {
      K = cache.length;
      Dv = cache.vDim;
      if (K === 0) fail('BAD_SIZE', 'the KVCache is empty (length 0): append keys before attending to it');
      agree('q.shape', [B, H, Q, D], [cache.batch, H, Q, cache.headDim]);
    } else {
      K = ka.shape[2];
      Dv = va.shape[3];
      agree('k.shape', ka.shape, [B, Hkv, K, D]);
      agree('v.shape', va.shape.slice(0, 3), [B, Hkv, K]);
    }
    const bias = biasArg(o.bias, B, H, Q, K);
    const { alibiMode, slopes } = alibiArgs(o.alibi);
    const causal = bool('causal', o.causal, false);
    const returnProbs = bool('returnProbs', o.returnProbs, false);
    const padding = keyPaddingArg(o.keyPadding, B, K);
    const mask = attentionMaskArg(o.mask, [B, H, Q, K]);
    const sinks = vectorArg('sinks', o.sinks);
    if (sinks && sinks.n !== H) fail('SHAPE_MISMATCH', `sinks must have one logit per query head (${H}), got ${sinks.n}`);
    const qOffset = qOffsetOf(o.qOffset, Q, K);
    const out = output('out', o.out, [B, H, Q, Dv]);
    const probs = returnProbs ? output('probsOut', o.probsOut, [B, H, Q, K]) : null;

    const block = new Float64Array(slotCount);
    block[slot.scale] = scale;
    block[slot.qOffset] = qOffset;
    block[slot.causal] = causal ? 1 : 0;
    block[slot.alibiMode] = alibiMode;
    block[slot.biasLen] = lenOf(bias);
    block[slot.biasHasBatch] = bias && bias.shape.length === 4 ? 1 : 0;
    block[slot.slopesLen] = lenOf(slopes);
    block[slot.keyPaddingLen] = lenOf(padding);
    block[slot.maskKind] = mask ? mask.kind : MASK_KIND.none;
    block[slot.maskLen] = mask ? mask.arg.n : 0;
    for (let d = 0; d < 4; d++) block[slot[`mask${d}`]] = mask ? mask.shape[d] : 1;
    block[slot.window] = window;
    block[slot.chunkSize] = chunkSize;
    block[slot.sinksLen] = lenOf(sinks);
    block[slot.floorScale] = temperature ? temperature.floorScale : NaN;
    block[slot.attnScale] = temperature ? temperature.attnScale : NaN;
    block[slot.softcap] = softcap;
    const tail = [bias, slopes, padding, mask?.arg ?? null, sinks, valuesArg(block)];
    if (cache) invoke(cache.handle, 'sdpa', [qa, H, Q, out, probs, ...tail]);
    else invoke(M, 'sdpa', [qa, ka, va, B, H, Hkv, Q, K, D, Dv, out, probs, ...tail]);
    return probs ? { out: out.result, probs: probs.result } : { out: out.result };
  }

  /**
   * q [B, H, Q, D], k [B, Hkv, K, D], v [B, Hkv, K, Dv], dOut [B, H, Q, Dv] (Hkv divides H: grouped-query
   * attention) → { dq, dk, dv, dBias? (with bias), dSinks? (with sinks) }.
   */
  function sdpaBackward(q, k, v, dOut, opts) {
    const o = options(opts, BACKWARD, 'sdpaBackward');
    const scale = optNum('scale', o.scale);
    if (scale <= 0) fail('OUT_OF_RANGE', `scale must be > 0, got ${scale}`);
    const qa = tensorArg('q', q, ['batch', 'heads', 'qLen', 'headDim']);
    const ka = tensorArg('k', k, ['batch', 'kvHeads', 'kLen', 'headDim']);
    const va = tensorArg('v', v, ['batch', 'kvHeads', 'kLen', 'vDim']);
    const ga = tensorArg('dOut', dOut, ['batch', 'heads', 'qLen', 'vDim']);
    const [B, H, Q, D] = qa.shape;
    const [, Hkv, K] = ka.shape;
    const Dv = va.shape[3];
    sameShape('k.shape', ka.shape, [B, Hkv, K, D], ' to match q');
    sameShape('v.shape', va.shape.slice(0, 3), [B, Hkv, K], ' to match k');
    sameShape('dOut.shape', ga.shape, [B, H, Q, Dv], ' to match q and v');
    if (H % Hkv !== 0) fail('BAD_HEADS', `k.shape[1] (kv heads) must divide q's heads = ${H}, got ${Hkv}`);
    const bias = biasArg(o.bias, B, H, Q, K);
    const { alibiMode, slopes } = alibiArgs(o.alibi);
    if (slopes && slopes.n !== H) fail('SHAPE_MISMATCH', `alibi slopes must have one per head (${H}), got ${slopes.n}`);
    const sinks = vectorArg('sinks', o.sinks);
    if (sinks && sinks.n !== H) fail('SHAPE_MISMATCH', `sinks must have one logit per head (${H}), got ${sinks.n}`);
    const causal = bool('causal', o.causal, false);
    const qOffset = qOffsetOf(o.qOffset, Q, K);
    const dq = output('dq', null, qa.shape);
    const dk = output('dk', null, ka.shape);
    const dv = output('dv', null, va.shape);
    const dBias = bias ? output('dBias', null, bias.shape) : null;
    const dSinks = sinks ? output('dSinks', null, [H], Float32Array, false) : null;
    invoke(M, 'sdpaBackward', [qa, ka, va, ga, B, H, Hkv, Q, K, D, Dv, dq, dk, dv, bias, lenOf(bias),
      bias ? bias.shape.length === 4 : false, dBias, alibiMode, slopes, lenOf(slopes), causal, qOffset, scale, sinks, lenOf(sinks), dSinks]);
    const grads = { dq: dq.result, dk: dk.result, dv: dv.result };
    if (dBias) grads.dBias = dBias.result;
    if (dSinks) grads.dSinks = dSinks.result;
    return grads;
  }

  return { sdpa, sdpaBackward, KVCache };
}
