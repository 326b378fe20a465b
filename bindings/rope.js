// RoPE: the frequencies of each scaling variant (a Hugging Face rope_scaling object read verbatim), the
// rotation of [batch, heads, seq, headDim] tensors, and the seed's module with its cos/sin cache.
import { bool, choice, even, fail, fitsMemory, lastPosition, num, optNum, optSize, options, position, show, size } from './checks.js';
import { SCRATCH_FLOATS } from './core.js';
import { createRopeFromConfig } from './rope-from-config.js';
import { createScalingArgs } from './rope-scaling-arg.js';

const PARAMS = ['base', 'scaling', 'maxPositionEmbeddings', 'seqLen'];
const FORWARD = ['dRot', 'base', 'layout', 'positions', 'offset', 'inverse', 'scaling', 'maxPositionEmbeddings', 'seqLen', 'out',
  'config', 'layerType', 'rope', 'mropeSection', 'mropeInterleaved'];
const CONFIG = ['dim', 'maxLen', 'base', 'layout', 'scaling', 'maxPositionEmbeddings', 'config', 'layerType', 'rope',
  'mropeSection', 'mropeInterleaved'];
const MODULE_FORWARD = ['offset', 'positions', 'qOut', 'kOut'];
const BACKWARD = ['dRot', 'base', 'layout', 'positions', 'offset', 'inverse', 'scaling', 'maxPositionEmbeddings', 'seqLen'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createRope(core, { Module }) {
  const { M, enums, invoke, tensorArg, vectorArg, positionsArg, output, lenOf, Scratch, CallbackGuard, heapF32 } = core;

  const { scalingArg, requireMpe } = createScalingArgs(core);

  // An M-RoPE section { sizes: [t, h, w], interleaved }, checked against half = dRot/2; null when absent.
  function mropeArg(o, half) {
    if (o.mropeSection === undefined || o.mropeSection === null) return null;
    const s = o.mropeSection;
    const sizes = Array.isArray(s) || ArrayBuffer.isView(s) ? Array.from(s) : null;
    if (!sizes || sizes.length !== 3 || !sizes.every((v) => Number.isInteger(v) && v >= 0) || sizes[0] + sizes[1] + sizes[2] !== half) {
      fail('SHAPE_MISMATCH', `mropeSection must be 3 sizes >= 0 summing to dRot/2 = ${half} (t, h, w), got ${sizes ? `[${sizes.map(show).join(', ')}]` : show(s)}`);
    }
    return { sizes, interleaved: bool('mropeInterleaved', o.mropeInterleaved, false) };
  }
  const NO_MROPE = [NaN, NaN, NaN, false];
  const mropeWire = (m) => (m ? [...m.sizes, m.interleaved] : NO_MROPE);

  // M-RoPE position streams: a tensor [3, seq] or [batch, 3, seq] (t, h, w), checked; null for one stream
  // ([seq] or [batch, seq], which turns every pair as plain RoPE does).
  function mropeStreamsArg(v, batch, seq) {
    if (v === undefined || v === null || v instanceof Int32Array) return null;
    const shape = v.shape;
    if (!Array.isArray(shape)) return null;
    if ((shape.length === 2 && shape[0] === 3 && shape[1] === seq) || (shape.length === 3 && shape[0] === batch && shape[1] === 3 && shape[2] === seq)) {
      return vectorArg('positions', v, Int32Array);
    }
    if (shape.length === 3 || (shape.length === 2 && shape[0] !== batch)) {
      fail('SHAPE_MISMATCH', `positions.shape must be [3, ${seq}] or [${batch}, 3, ${seq}] (t, h, w streams) or [${seq}] for M-RoPE, got [${shape.join(', ')}]`);
    }
    return null;
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
    if (rows === seq) return heap.set(source.subarray(first * chunk, (first + count) * chunk), scratch.at); // whole heads: one run
    for (let i = 0; i < count; i++) {
      const from = ((first + i) * seq + s0) * d;
      heap.set(source.subarray(from, from + chunk), scratch.at + i * chunk);
    }
  });
  const storeRopeSlice = guard.wrap((first, count, s0, rows) => {
    const { target, scratch, seq, d } = slices, heap = heapF32(), chunk = rows * d, at = scratch.at;
    if (rows === seq) return target.set(heap.subarray(at, at + count * chunk), first * chunk);
    for (let i = 0; i < count; i++) target.set(heap.subarray(at + i * chunk, at + (i + 1) * chunk), ((first + i) * seq + s0) * d);
  });

  // A model's config.json or a description from ropeFromConfig (rope-from-config.js), else the kernel.
  function ropeForward(x, opts) {
    const o = options(opts, FORWARD, 'ropeForward');
    if (o.config != null || o.rope != null || o.layerType != null) return fromConfig.forward(x, o, 'ropeForward');
    return rotate(x, o);
  }

  // The rotation's arguments, checked in the order of the error codes; the forward (x) and its gradient
  // (dy) read them alike. M-RoPE sections only in the forward (withMrope).
  function rotationArgs(name, x, o, withMrope) {
    const base = num('base', o.base, 10000);
    const dRot = optSize('dRot', o.dRot);
    const xa = tensorArg(name, x, ['batch', 'heads', 'seq', 'headDim']);
    const layout = choice('layout', o.layout, enums.layout, 'half');
    const mrope = withMrope ? mropeArg(o, (Number.isNaN(dRot) ? xa.shape[3] : dRot) / 2) : null;
    const streams = mrope ? mropeStreamsArg(o.positions, xa.shape[0], xa.shape[2]) : null;
    const pos = streams ?? positionsArg(o.positions, xa.shape[0], xa.shape[2]);
    const offset = position('offset', o.offset, 0);
    const inverse = bool('inverse', o.inverse, false);
    const scaling = scalingArg(o.scaling);
    const mpe = optSize('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = optSize('seqLen', o.seqLen);
    requireMpe(o.scaling, mpe);
    if (!Number.isNaN(dRot)) {
      even('dRot', dRot);
      if (dRot > xa.shape[3]) fail('ROT_DIM', `dRot must be at most headDim = ${xa.shape[3]}, got ${dRot}`);
    }
    if (!pos) lastPosition('offset', offset, xa.shape[2]);
    return { xa, base, dRot, layout, mrope, streams, pos, offset, inverse, scaling, mpe, seqLen };
  }

  function rotate(x, o) {
    const { xa, base, dRot, layout, mrope, streams, pos, offset, inverse, scaling, mpe, seqLen } = rotationArgs('x', x, o, true);
    const [b, h, s, d] = xa.shape;
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    if (streams) {
      // Every frequency turns with its stream's position (t, h or w), in one call.
      invoke(M, 'ropeForwardMrope', [xa, b, h, s, d, out, dRot, base, layout, streams, lenOf(streams), inverse, scaling, mpe, seqLen,
        ...mropeWire(mrope)]);
      return out.result;
    }
    if (xa.n > SCRATCH_FLOATS && xa.start() < 0 && !pos && out.start() < 0 && M.ropeThroughMinScratch(s, d) <= SCRATCH_FLOATS) {
      // A large array tensor passes through a small scratch in WebAssembly memory: the C++ side asks for as
      // many positions of one head as it holds, or for several whole heads (loadRopeSlice), rotates them
      // there, and hands them back (storeRopeSlice). Each value crosses each way while it is in cache; with
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

  /** dy: [batch, heads, seq, headDim] → dx (the transposed rotation of ropeForward with the same options). */
  function ropeBackward(dy, opts) {
    const o = options(opts, BACKWARD, 'ropeBackward');
    const { xa: ga, base, dRot, layout, pos, offset, inverse, scaling, mpe, seqLen } = rotationArgs('dy', dy, o, false);
    const [b, h, s, d] = ga.shape;
    const dx = output('dx', null, ga.shape);
    invoke(M, 'ropeBackward', [ga, b, h, s, d, dx, dRot, base, layout, pos, lenOf(pos), offset, inverse, scaling, mpe, seqLen]);
    return dx.result;
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
      const mrope = mropeArg(c, dim / 2);
      super('RotaryPositionalEmbedding', [dim, maxLen, base, layout, scaling, mpe, ...mropeWire(mrope)]);
      Object.assign(this, { dim, maxLen, base, layout: enums.layout[layout] });
      if (mrope) Object.assign(this, { mropeSection: mrope.sizes, mropeInterleaved: mrope.interleaved });
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
      const streams = this.mropeSection ? mropeStreamsArg(o.positions, ka.shape[0], ka.shape[2]) : null;
      let pos = streams ?? positionsArg(o.positions);
      if (pos && !streams && this.mropeSection) pos = sameStreams(pos, ka.shape[0], ka.shape[2]);
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

  // One position stream as three equal ones (t = h = w: text tokens), for an M-RoPE module.
  function sameStreams(arg, batch, seq) {
    const v = arg.view();
    const rows = v.length === seq ? 1 : v.length === batch * seq ? batch : 0;
    if (!rows) return arg; // the C++ side reports the length
    const out = new Int32Array(rows * 3 * seq);
    for (let r = 0; r < rows; ++r) for (let a = 0; a < 3; ++a) out.set(v.subarray(r * seq, (r + 1) * seq), (r * 3 + a) * seq);
    return vectorArg('positions', out, Int32Array);
  }

  const fromConfig = createRopeFromConfig({ ropeParams, rotate });
  return { ropeParams, ropeForward, ropeBackward, RotaryPositionalEmbedding,
    ropeFromConfig: fromConfig.ropeFromConfig, describeLayers: fromConfig.describeLayers };
}
