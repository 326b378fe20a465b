// RoPE: the frequencies of each scaling variant (a Hugging Face rope_scaling object read verbatim), the
// rotation of [batch, heads, seq, headDim] tensors, and the seed's module with its cos/sin cache.
import { bool, choice, even, fail, fitsMemory, lastPosition, num, optNum, optSize, options, position, show, size } from './checks.js';
import { SCRATCH_FLOATS } from './core.js';
import { createRopeFromConfig } from './rope-from-config.js';

const PARAMS = ['base', 'scaling', 'maxPositionEmbeddings', 'seqLen'];
const FORWARD = ['dRot', 'base', 'layout', 'positions', 'offset', 'inverse', 'scaling', 'maxPositionEmbeddings', 'seqLen', 'out',
  'config', 'layerType', 'rope'];
const CONFIG = ['dim', 'maxLen', 'base', 'layout', 'scaling', 'maxPositionEmbeddings', 'config', 'layerType', 'rope'];
const MODULE_FORWARD = ['offset', 'positions', 'qOut', 'kOut'];
// Scaling types whose defaults (factor, original length) come from maxPositionEmbeddings.
const NEEDS_MPE = { dynamic: 'the trained length L in the NTK base', yarn: 'the default of original_max_position_embeddings and of factor',
  longrope: 'the default of original_max_position_embeddings and of factor' };

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createRope(core, { Module }) {
  const { M, enums, invoke, tensorArg, positionsArg, output, lenOf, Scratch, CallbackGuard, heapF32 } = core;
  const SLOTS = enums.scalingField; // the rope_scaling keys in the order of the C++ side's slots

  // A Hugging Face rope_scaling object as float64 slots (NaN = absent), short_factor and long_factor
  // appended; the slots hold their type index, truncate as 0/1 and the two lists' lengths.
  function scalingArg(scaling) {
    if (scaling === undefined || scaling === null) return null;
    if (typeof scaling !== 'object' || Array.isArray(scaling)) {
      fail('OUT_OF_RANGE', `scaling must be a Hugging Face rope_scaling object like {rope_type: 'linear', factor: 2}, got ${show(scaling)}`);
    }
    const type = scaling.rope_type ?? scaling.type ?? 'default';
    const typeName = scaling.rope_type !== undefined ? 'scaling.rope_type' : 'scaling.type';
    const lists = { short_factor: factorList(scaling, 'short_factor'), long_factor: factorList(scaling, 'long_factor') };
    const slots = new Float64Array(SLOTS.length + lists.short_factor.length + lists.long_factor.length).fill(NaN);
    SLOTS.forEach((key, i) => {
      const v = scaling[key];
      if (key === 'rope_type') slots[i] = choice(typeName, type, enums.ropeType);
      else if (key === 'truncate') slots[i] = bool('scaling.truncate', v, true) ? 1 : 0;
      else if (key === 'original_max_position_embeddings') slots[i] = optSize(`scaling.${key}`, v);
      else if (key in lists) slots[i] = lists[key].length;
      else slots[i] = optNum(`scaling.${key}`, v);
    });
    slots.set(lists.short_factor, SLOTS.length);
    slots.set(lists.long_factor, SLOTS.length + lists.short_factor.length);
    return core.valuesArg(slots);
  }
  function factorList(scaling, key) {
    const v = scaling[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) fail('SHAPE_MISMATCH', `scaling.${key} must be an array of numbers, got ${show(v)}`);
    return Array.from(v, (x, i) => num(`scaling.${key}[${i}]`, x));
  }
  // dynamic always, yarn and longrope without factor or original length, read maxPositionEmbeddings.
  function requireMpe(scaling, mpe) {
    if (!scaling || !Number.isNaN(mpe)) return;
    const type = scaling.rope_type ?? scaling.type;
    const derived = scaling.factor == null || scaling.original_max_position_embeddings == null;
    if (Object.hasOwn(NEEDS_MPE, type) && (type === 'dynamic' || derived)) {
      fail('BAD_SIZE', `maxPositionEmbeddings is required for rope_type ${type} (${NEEDS_MPE[type]}), got none`);
    }
  }

  function ropeParams(dRot, opts) {
    const o = options(opts, PARAMS, 'ropeParams');
    const base = num('base', o.base, 10000);
    size('dRot', dRot);
    const scaling = scalingArg(o.scaling);
    const mpe = optSize('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = optSize('seqLen', o.seqLen);
    requireMpe(o.scaling, mpe);
    even('dRot', dRot);
    const half = Math.floor(dRot / 2);
    const invFreq = output('invFreq', null, [half], Float32Array, false);
    const attentionFactor = invoke(M, 'ropeParams', [dRot, base, scaling, mpe, seqLen, invFreq]);
    return { invFreq: invFreq.result, attentionFactor };
  }

  // The call state behind ropeForwardThrough's callbacks, which move slices of (batch, head) rows
  // [first, first + count) x positions [s0, s0 + rows) between the caller's arrays and the scratch.
  const slices = { source: null, target: null, scratch: new Scratch(SCRATCH_FLOATS), seq: 0, d: 0 };
  const guard = new CallbackGuard();
  const loadRopeSlice = guard.wrap((first, count, s0, rows) => {
    const { source, scratch, seq, d } = slices, heap = heapF32(), chunk = rows * d;
    for (let i = 0; i < count; i++) {
      const from = ((first + i) * seq + s0) * d;
      heap.set(source.subarray(from, from + chunk), scratch.at + i * chunk);
    }
  });
  const storeRopeSlice = guard.wrap((first, count, s0, rows) => {
    const { target, scratch, seq, d } = slices, heap = heapF32(), chunk = rows * d, at = scratch.at;
    for (let i = 0; i < count; i++) target.set(heap.subarray(at + i * chunk, at + (i + 1) * chunk), ((first + i) * seq + s0) * d);
  });

  // A model's config.json or a description from ropeFromConfig (rope-from-config.js), else the kernel.
  function ropeForward(x, opts) {
    const o = options(opts, FORWARD, 'ropeForward');
    if (o.config != null || o.rope != null || o.layerType != null) return fromConfig.forward(x, o, 'ropeForward');
    return rotate(x, o);
  }

  function rotate(x, o) {
    const base = num('base', o.base, 10000);
    const dRot = optSize('dRot', o.dRot);
    const xa = tensorArg('x', x, ['batch', 'heads', 'seq', 'headDim']);
    const layout = choice('layout', o.layout, enums.layout, 'half');
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    const inverse = bool('inverse', o.inverse, false);
    const scaling = scalingArg(o.scaling);
    const mpe = optSize('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = optSize('seqLen', o.seqLen);
    const [b, h, s, d] = xa.shape;
    requireMpe(o.scaling, mpe);
    if (!Number.isNaN(dRot)) {
      even('dRot', dRot);
      if (dRot > d) fail('ROT_DIM', `dRot must be at most headDim = ${d}, got ${dRot}`);
    }
    if (!pos) lastPosition('offset', offset, s);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    if (!xa.range() && !pos && !out.range() && xa.n > SCRATCH_FLOATS && M.ropeThroughMinScratch(s, d) <= SCRATCH_FLOATS) {
      // A large array tensor passes through a small scratch in WebAssembly memory: the C++ side asks for a
      // few heads x 256 positions at a time (loadRopeSlice), rotates them there with that block's cos/sin
      // rows, and hands them back (storeRopeSlice). Each value crosses each way while it is in cache; with
      // a whole-tensor copy in, the rotation and a copy out, it streamed through memory three times.
      const target = out.view ?? new Float32Array(xa.n);
      slices.source = xa.values;
      slices.target = target;
      slices.seq = s;
      slices.d = d;
      try {
        invoke(M, 'ropeForwardThrough', [b, h, s, d, slices.scratch, SCRATCH_FLOATS, dRot, base, layout, offset, inverse,
          scaling, mpe, seqLen, loadRopeSlice, storeRopeSlice]);
      } finally {
        slices.source = slices.target = null;
      }
      guard.rethrow();
      return { data: out.given ?? target, shape: xa.shape };
    }
    invoke(M, 'ropeForward', [xa, b, h, s, d, out, dRot, base, layout, pos, lenOf(pos), offset, inverse, scaling, mpe, seqLen]);
    return out.result;
  }

  class RotaryPositionalEmbedding extends Module {
    constructor(config) {
      let c = options(config, CONFIG, 'RotaryPositionalEmbedding', 'config');
      if (c.config != null || c.rope != null || c.layerType != null) c = fromConfig.moduleConfig(c);
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 2048);
      const base = num('base', c.base, 10000);
      const layout = choice('layout', c.layout, enums.layout, 'half');
      const scaling = scalingArg(c.scaling);
      const mpe = optSize('maxPositionEmbeddings', c.maxPositionEmbeddings);
      fitsMemory(`the RoPE frequencies [dim/2] = [${even('dim', dim) / 2}]`, dim / 2);
      super('RotaryPositionalEmbedding', [dim, maxLen, base, layout, scaling, mpe]);
      Object.assign(this, { dim, maxLen, base, layout: enums.layout[layout] });
    }
    /** Positions the cos/sin cache covers; it doubles when a forward reaches past it. */
    get cachedLen() {
      return invoke(this.handle, 'cachedLen', []);
    }
    /** q, k: [batch, heads, seq, dim] → [q rotated, k rotated]; keys sit at offset + j, queries at the last q.seq of those. */
    forward(q, k, opts) {
      const o = options(opts, MODULE_FORWARD, 'RotaryPositionalEmbedding.forward');
      const h = this.handle;
      const qa = tensorArg('q', q, ['batch', 'heads', 'seq', 'dim']);
      const ka = tensorArg('k', k, ['batch', 'heads', 'seq', 'dim']);
      if (qa.shape[3] !== this.dim) fail('SHAPE_MISMATCH', `q.shape[3] must be dim = ${this.dim}, got ${qa.shape[3]}`);
      if (ka.shape[3] !== this.dim) fail('SHAPE_MISMATCH', `k.shape[3] must be dim = ${this.dim}, got ${ka.shape[3]}`);
      const offset = position('offset', o.offset, 0);
      const pos = positionsArg(o.positions);
      if (!pos) lastPosition('offset', offset, ka.shape[2]);
      const qOut = output('qOut', o.qOut, qa.shape).inPlaceOf(qa);
      const kOut = output('kOut', o.kOut, ka.shape).inPlaceOf(ka);
      const [qb, qh, qs] = qa.shape;
      const [kb, kh, ks] = ka.shape;
      invoke(h, 'forward', [qa, qb, qh, qs, qOut, ka, kb, kh, ks, kOut, offset, pos, lenOf(pos)]);
      return [qOut.result, kOut.result];
    }
    /** { invFreq: [dim/2] } — computed from the config (buffers, not parameters). */
    stateDict() {
      const half = this.dim / 2;
      return { invFreq: { data: core.copyF64AsF32(invoke(this.handle, 'invFreq', []), half), shape: [half] } };
    }
  }

  const fromConfig = createRopeFromConfig(core, { ropeParams, rotate });
  return { ropeParams, ropeForward, RotaryPositionalEmbedding, 
    ropeFromConfig: fromConfig.ropeFromConfig, describeLayers: fromConfig.describeLayers };
}
