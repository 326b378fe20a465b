// RoPE from a model's config.json: ropeFromConfig (the description with the kernel's frequencies), and
// what ropeForward and RotaryPositionalEmbedding do when given { config, layerType } or { rope }. Every
// variant is one kernel call: proportional RoPE and llama3 are rope_types of the kernel, M-RoPE's
// sections go to it with the t, h, w position streams.
import { fail, options, show } from './checks.js';
import { integer, number, numbers, object, string } from './config-fields.js';
import { describeLayers } from './layers.js';
import { ROPE_TYPES, readRopeConfig } from './rope-config.js';

// ropeForward options a description supplies (explicit options override them).
const DESCRIBED = ['dRot', 'base', 'layout', 'scaling', 'maxPositionEmbeddings', 'seqLen', 'mropeSection', 'mropeInterleaved'];
/**
 * @param rope.ropeParams the kernel's frequencies; rope.rotate the kernel's ropeForward without config
 */
export function createRopeFromConfig({ ropeParams, rotate }) {
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
    const p = { headDim: desc.headDim ?? desc.dRot };
    for (const key of DESCRIBED) {
      const v = o[key] !== undefined ? o[key] : desc[key];
      if (v !== undefined && v !== null) p[key] = v;
    }
    return p;
  }

  // Inverse frequencies (dRot/2) and attention factor of a plan, from the kernel.
  function frequencies(p) {
    return ropeParams(p.dRot, { base: p.base, scaling: p.scaling ?? undefined, maxPositionEmbeddings: p.maxPositionEmbeddings,
      seqLen: p.seqLen });
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
    return rotate(x, { dRot: p.dRot, base: p.base, layout: p.layout, scaling: p.scaling ?? undefined,
      maxPositionEmbeddings: p.maxPositionEmbeddings, seqLen: p.seqLen, positions: o.positions, offset: o.offset,
      inverse: o.inverse, out: o.out, mropeSection: p.mropeSection, mropeInterleaved: p.mropeInterleaved });
  }

  /** The RotaryPositionalEmbedding config of { config | rope, layerType, ...explicit }. */
  function moduleConfig(c) {
    const desc = description(c, 'RotaryPositionalEmbedding');
    const p = plan(desc, c);
    if (c.dim === undefined && p.dRot !== p.headDim) {
      fail('ROT_DIM', `RotaryPositionalEmbedding rotates all of dim; this config rotates dRot = ${p.dRot} of headDim = ${p.headDim}: ` +
        'pass dim: dRot and the rotated slice, or use pe.ropeForward(x, { config })');
    }
    return { dim: c.dim ?? p.dRot, maxLen: c.maxLen, base: p.base, layout: p.layout, scaling: p.scaling ?? undefined,
      maxPositionEmbeddings: p.maxPositionEmbeddings, mropeSection: p.mropeSection, mropeInterleaved: p.mropeInterleaved };
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
