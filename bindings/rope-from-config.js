// RoPE from a model's config.json: ropeFromConfig (the description with the kernel's frequencies), and
// what ropeForward and RotaryPositionalEmbedding do when given { config, layerType } or { rope }.
// Some models turn different pairs by rules one kernel call does not have (Gemma 4's proportional RoPE,
// Llama 4's llama3 step with low_freq_factor == high_freq_factor, M-RoPE's three position streams); for
// those every pair is taken from one of a few exact kernel calls, each pair's rotation being independent
// of the others. When the kernel learns explicit frequencies and M-RoPE (pairVariants and mropeStreams
// are the hooks), these cases become one call.
import { fail, options, show } from './checks.js';
import { integer, isObject, number, numbers, object, string } from './config-fields.js';
import { describeLayers } from './layers.js';
import { mropeFrequencyAxes } from './mrope.js';
import { ROPE_TYPES, proportionalRotatedPairs, readRopeConfig } from './rope-config.js';

// ropeForward options a description supplies (explicit options override them).
const DESCRIBED = ['dRot', 'base', 'layout', 'scaling', 'maxPositionEmbeddings', 'seqLen'];
// Scaling types whose frequencies follow seqLen, which defaults to max(positions) + 1.
const FOLLOWS_SEQ_LEN = ['dynamic', 'longrope'];

/**
 * @param core the bindings core (tensorArg, outputTarget, HeapTensor)
 * @param rope.ropeParams the kernel's frequencies; rope.rotate the kernel's ropeForward without config
 */
export function createRopeFromConfig(core, { ropeParams, rotate }) {
  const { HeapTensor, tensorArg, outputTarget } = core;

  // The description of { config, layerType, seqLen } or { rope }: read, or checked as given back.
  function description(o, fn) {
    if (o.config != null && o.rope != null) fail('OUT_OF_RANGE', `${fn} takes options.config or options.rope, not both`);
    if (o.rope != null) {
      if (o.layerType != null) fail('OUT_OF_RANGE', `options.layerType selects from options.config; options.rope is already one layer type's, got layerType ${show(o.layerType)}`);
      return checkedDescription(o.rope);
    }
    if (o.config == null) fail('OUT_OF_RANGE', `options.layerType needs options.config (the model's config.json), got layerType ${show(o.layerType)} without it`);
    return readRopeConfig(o.config, { layerType: o.layerType ?? undefined, seqLen: o.seqLen ?? undefined });
  }

  // The kernel's options: the description's fields, overridden by the explicit ones.
  function plan(desc, o) {
    const p = { headDim: desc.headDim ?? desc.dRot, mropeSection: desc.mropeSection, mropeInterleaved: desc.mropeInterleaved };
    for (const key of DESCRIBED) {
      const v = o[key] !== undefined ? o[key] : desc[key];
      if (v !== undefined && v !== null) p[key] = v;
    }
    return p;
  }

  // How each pair j < dRot/2 is turned, when one kernel call cannot: { variants, pick } where variant
  // pick[j] is a kernel scaling (or null for none), or 'identity' (the pair does not turn). Null: one call.
  function pairVariants(p) {
    const s = p.scaling;
    const type = isObject(s) ? s.rope_type ?? s.type : undefined;
    const half = p.dRot / 2;
    if (type === 'proportional') {
      // The kernel has no explicit frequencies yet: its linear scaling gives base^(−2j/dRot) / factor,
      // and the pairs past int(prf · headDim // 2) are left as they are (frequency 0).
      const prf = number('scaling.partial_rotary_factor', s.partial_rotary_factor) ?? 1;
      const rotated = proportionalRotatedPairs(p.dRot, prf);
      const turning = s.factor == null || s.factor === 1 ? null : { rope_type: 'linear', factor: s.factor };
      return { variants: [turning, 'identity'], pick: Uint8Array.from({ length: half }, (_, j) => (j < rotated ? 0 : 1)) };
    }
    if (type === 'llama3' && s.low_freq_factor != null && s.low_freq_factor === s.high_freq_factor) {
      // HF's _compute_llama3_parameters with an empty smooth band: pairs whose wavelength exceeds
      // L0 / low_freq_factor are divided by factor, the others kept (the kernel rejects low == high).
      const L0 = s.original_max_position_embeddings ?? p.maxPositionEmbeddings;
      const base = p.base ?? 10000;
      const low = (j) => (2 * Math.PI) / Math.pow(base, (-2 * j) / p.dRot) > L0 / s.low_freq_factor;
      return { variants: [null, { rope_type: 'linear', factor: s.factor }], pick: Uint8Array.from({ length: half }, (_, j) => (low(j) ? 1 : 0)) };
    }
    return null;
  }

  // Inverse frequencies (dRot/2) and attention factor of a plan, from the kernel.
  function frequencies(p) {
    const kernel = (scaling) => ropeParams(p.dRot, { base: p.base, scaling: scaling ?? undefined,
      maxPositionEmbeddings: p.maxPositionEmbeddings, seqLen: p.seqLen });
    const rule = pairVariants(p);
    if (!rule) return kernel(p.scaling);
    const made = rule.variants.map((v) => (v === 'identity' ? null : kernel(v)));
    const invFreq = Float32Array.from(rule.pick, (v, j) => (made[v] ? made[v].invFreq[j] : 0));
    return { invFreq, attentionFactor: made.find(Boolean)?.attentionFactor ?? 1 };
  }

  /** The description of one layer type's RoPE, with the frequencies and attention factor the kernel applies. */
  function ropeFromConfig(config, opts) {
    const o = options(opts, ['layerType', 'seqLen'], 'ropeFromConfig');
    return withFrequencies(readRopeConfig(config, o));
  }

  function withFrequencies(desc) {
    const { invFreq, attentionFactor } = frequencies(plan(desc, {}));
    const { ropeType, base, headDim, dRot, layout, maxPositionEmbeddings, originalMaxPositionEmbeddings, ...rest } = desc;
    return { ropeType, base, headDim, dRot, layout, invFreq, attentionFactor, maxPositionEmbeddings, originalMaxPositionEmbeddings, ...rest };
  }

  /** describeLayers with the kernel's frequencies in each RoPE layer's description (one per layer type). */
  function describeLayersWithFrequencies(config) {
    const made = new Map();
    return describeLayers(config).map((e) => {
      if (!e.rope) return e;
      if (!made.has(e.rope)) made.set(e.rope, withFrequencies(e.rope));
      return { ...e, rope: made.get(e.rope) };
    });
  }

  /** ropeForward(x, { config | rope, layerType, ...explicit options }). */
  function forward(x, o, fn) {
    const p = plan(description(o, fn), o);
    const passed = { positions: o.positions, offset: o.offset, inverse: o.inverse };
    const streams = p.mropeSection ? mropeStreams(x, o.positions) : null;
    const rule = pairVariants(p);
    const kernelOpts = (scaling, positions) => ({ dRot: p.dRot, base: p.base, layout: p.layout, scaling: scaling ?? undefined,
      maxPositionEmbeddings: p.maxPositionEmbeddings, seqLen: p.seqLen, ...passed, positions });
    if (!streams && !rule) return rotate(x, { ...kernelOpts(p.scaling, o.positions), out: o.out });

    const xa = tensorArg('x', x, ['batch', 'heads', 'seq', 'headDim']);
    const half = (p.dRot ?? xa.shape[3]) / 2;
    const axes = streams ? mropeFrequencyAxes(p).map((a) => 'thw'.indexOf(a)) : null;
    if (streams && axes.length !== half) {
      fail('SHAPE_MISMATCH', `mropeSection must sum to dRot/2 = ${half}, got [${p.mropeSection.join(', ')}]`);
    }
    if (streams && p.seqLen === undefined && FOLLOWS_SEQ_LEN.includes(p.scaling?.rope_type ?? p.scaling?.type)) {
      // One seqLen for all three streams, as HF's dynamic update takes max(position_ids) + 1 over them all.
      p.seqLen = streams.reduce((m, s) => s.data.reduce((a, v) => Math.max(a, v), m), 0) + 1;
    }
    // Each pair's source: a (stream, variant) kernel call, or x itself for a pair that does not turn.
    const sources = new Map();
    const source = (j) => {
      const v = rule ? rule.variants[rule.pick[j]] : p.scaling;
      if (v === 'identity') return 'identity';
      const stream = axes ? axes[j] : -1;
      const key = `${stream}:${rule ? rule.pick[j] : 0}`;
      if (!sources.has(key)) sources.set(key, rotate(x, kernelOpts(v, stream < 0 ? o.positions : streams[stream])).data);
      return sources.get(key);
    };
    const pairSources = Array.from({ length: half }, (_, j) => source(j));
    const input = xa.heap ? xa.heap.data : xa.values;
    const values = Float32Array.from(input);
    const d = xa.shape[3], interleaved = p.layout === 'interleaved';
    for (let row = 0; row < values.length; row += d) {
      for (let j = 0; j < half; ++j) {
        const src = pairSources[j] === 'identity' ? input : pairSources[j];
        const a = row + (interleaved ? 2 * j : j), b = row + (interleaved ? 2 * j + 1 : j + half);
        values[a] = src[a];
        values[b] = src[b];
      }
    }
    return result(values, xa.shape, o.out);
  }

  // The assembled values where `out` asks (as the kernel path returns them).
  function result(values, shape, out) {
    if (out instanceof HeapTensor) {
      if (out.deleted) fail('DELETED', 'out is a deleted heap tensor');
      if (out.dtype !== 'float32' || out.length !== values.length) {
        fail('SHAPE_MISMATCH', `out must hold ${values.length} float32 values, got a ${out.dtype} heap tensor of ${out.length}`);
      }
      out.data.set(values);
      return out;
    }
    const target = outputTarget('out', out, values.length, shape, Float32Array);
    if (!target) return { data: values, shape };
    target.view.set(values); // the trusted view: the caller's own set() is never called
    return { data: target.given, shape };
  }

  // M-RoPE position streams t, h, w from positions [3, seq] or [batch, 3, seq] as kernel positions
  // ([seq] or [batch, seq]); null for a single stream, which turns every pair as plain RoPE does.
  function mropeStreams(x, positions) {
    if (positions == null || positions instanceof Int32Array) return null;
    const shape = positions.shape;
    const data = positions instanceof HeapTensor ? positions.data : positions.data;
    if (!Array.isArray(shape) || !(data instanceof Int32Array)) return null;
    const [batch, , seq] = x?.shape ?? [];
    if (shape.length === 2 && shape[0] === 3) {
      return [0, 1, 2].map((a) => ({ data: data.slice(a * shape[1], (a + 1) * shape[1]), shape: [shape[1]] }));
    }
    if (shape.length === 3 && shape[1] === 3) {
      const [b, , s] = shape;
      return [0, 1, 2].map((a) => {
        const stream = new Int32Array(b * s);
        for (let i = 0; i < b; ++i) stream.set(data.subarray((i * 3 + a) * s, (i * 3 + a + 1) * s), i * s);
        return { data: stream, shape: [b, s] };
      });
    }
    if (shape.length === 3 || (shape.length === 2 && batch !== undefined && shape[0] !== batch)) {
      fail('SHAPE_MISMATCH', `positions.shape must be [3, ${seq}] or [${batch}, 3, ${seq}] (t, h, w streams) or [${seq}] for M-RoPE, got [${shape.join(', ')}]`);
    }
    return null;
  }

  /** The RotaryPositionalEmbedding config of { config | rope, layerType, ...explicit }: the module turns every pair by one rule. */
  function moduleConfig(c) {
    const desc = description(c, 'RotaryPositionalEmbedding');
    const p = plan(desc, c);
    if (pairVariants(p)) {
      fail('OUT_OF_RANGE', `RotaryPositionalEmbedding cannot apply ${desc.ropeType} RoPE with these factors yet (its cache has one ` +
        'frequency rule for all pairs); pe.ropeForward(x, { config }) applies it exactly');
    }
    if (c.dim === undefined && p.dRot !== p.headDim) {
      fail('ROT_DIM', `RotaryPositionalEmbedding rotates all of dim; this config rotates dRot = ${p.dRot} of headDim = ${p.headDim}: ` +
        'pass dim: dRot and the rotated slice, or use pe.ropeForward(x, { config })');
    }
    return { dim: c.dim ?? p.dRot, maxLen: c.maxLen, base: p.base, layout: p.layout, scaling: p.scaling ?? undefined,
      maxPositionEmbeddings: p.maxPositionEmbeddings };
  }

  return { ropeFromConfig, describeLayers: describeLayersWithFrequencies, forward, moduleConfig };
}

// A description given back ({ rope }), checked field by field (its invFreq is not used: the frequencies
// are recomputed from the fields, so a JSON round trip keeps it valid).
function checkedDescription(rope) {
  const d = object('rope', rope) ?? fail('OUT_OF_RANGE', `options.rope must be a description from ropeFromConfig, got ${show(rope)}`);
  const ropeType = string('rope.ropeType', d.ropeType);
  if (!ROPE_TYPES.includes(ropeType)) fail('OUT_OF_RANGE', `rope.ropeType must be one of ${ROPE_TYPES.map(show).join(', ')}, got ${show(d.ropeType)}`);
  const dRot = integer('rope.dRot', d.dRot) ?? fail('SHAPE_MISMATCH', 'rope.dRot must be an integer >= 1, got undefined');
  const out = {
    ropeType, dRot, headDim: integer('rope.headDim', d.headDim) ?? dRot, base: number('rope.base', d.base),
    layout: string('rope.layout', d.layout), scaling: object('rope.scaling', d.scaling) ?? null,
    maxPositionEmbeddings: integer('rope.maxPositionEmbeddings', d.maxPositionEmbeddings) ?? undefined,
    seqLen: integer('rope.seqLen', d.seqLen),
  };
  const section = numbers('rope.mropeSection', d.mropeSection);
  if (section) {
    out.mropeSection = section;
    out.mropeInterleaved = d.mropeInterleaved === true;
  }
  return out;
}
