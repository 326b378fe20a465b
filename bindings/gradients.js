// Gradients of the encodings, LayerNorm, dropout and attention: given the gradient of a loss at a
// function's output (dy), its gradient at the inputs and parameters. Each takes the forward's options.
import { bool, choice, fail, heads, lastPosition, num, optNum, optPosition, options, position, qOffsetOf, showShape, size } from './checks.js';
import { DROPOUT_OPTIONS, dropoutArgs } from './dropout.js';
import { t5Options } from './relative.js';
import { createScalingArgs } from './rope-scaling-arg.js';

const ROPE = ['dRot', 'base', 'layout', 'positions', 'offset', 'inverse', 'scaling', 'maxPositionEmbeddings', 'seqLen'];
const XPOS = ['role', 'positions', 'offset', 'base', 'gamma', 'scaleBase', 'center', 'layout'];
const LEARNED = ['x', 'table', 'gamma', 'beta', 'positions', 'offset', 'scale', 'useLn', 'eps', ...DROPOUT_OPTIONS];
const CLIPPED = ['numHeads', 'maxDistance', 'qLen', 'kLen', 'qOffset'];
const T5_BIAS = ['numHeads', 'numBuckets', 'qLen', 'kLen', 'qOffset', 'bidirectional', 'maxDistance'];
const SDPA = ['bias', 'alibi', 'causal', 'qOffset', 'scale', 'sinks'];
const LAYER_NORM = ['gamma', 'eps'];
const DROPOUT = DROPOUT_OPTIONS;

// A shape must equal want.
function agree(what, got, want, because) {
  if (got.length !== want.length || got.some((g, i) => g !== want[i])) {
    fail('SHAPE_MISMATCH', `${what} must be ${showShape(want)}${because}, got ${showShape(got)}`);
  }
}

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createGradients(core) {
  const { M, enums, invoke, tensorArg, vectorArg, positionsArg, output, lenOf, HeapTensor } = core;
  const { scalingArg, requireMpe } = createScalingArgs(core);
  const rank = (t) => (HeapTensor.is(t) ? t.shape.length : Array.isArray(t?.shape) ? t.shape.length : 0);

  /** dy: [batch, heads, seq, headDim] → dx (the transposed rotation of ropeForward with the same options). */
  function ropeBackward(dy, opts) {
    const o = options(opts, ROPE, 'ropeBackward');
    const base = num('base', o.base, 10000);
    const dRot = o.dRot === undefined || o.dRot === null ? NaN : size('dRot', o.dRot);
    const ga = tensorArg('dy', dy, ['batch', 'heads', 'seq', 'headDim']);
    const layout = choice('layout', o.layout, enums.layout, 'half');
    const pos = positionsArg(o.positions, ga.shape[0], ga.shape[2]);
    const offset = position('offset', o.offset, 0);
    const inverse = bool('inverse', o.inverse, false);
    const scaling = scalingArg(o.scaling);
    const mpe = o.maxPositionEmbeddings == null ? NaN : size('maxPositionEmbeddings', o.maxPositionEmbeddings);
    const seqLen = o.seqLen == null ? NaN : size('seqLen', o.seqLen);
    const [b, h, s, d] = ga.shape;
    requireMpe(o.scaling, mpe);
    if (!Number.isNaN(dRot)) {
      if (dRot % 2 !== 0) fail('ODD_DIM', `dRot must be even, got ${dRot}`);
      if (dRot > d) fail('ROT_DIM', `dRot must be at most headDim = ${d}, got ${dRot}`);
    }
    if (!pos) lastPosition('offset', offset, s);
    const dx = output('dx', null, ga.shape);
    invoke(M, 'ropeBackward', [ga, b, h, s, d, dx, dRot, base, layout, pos, lenOf(pos), offset, inverse, scaling, mpe, seqLen]);
    return dx.result;
  }

  /** dy: [batch, heads, seq, headDim] → dx (xposApply's per-pair scale times the transposed rotation). */
  function xposBackward(dy, opts) {
    const o = options(opts, XPOS, 'xposBackward');
    const base = num('base', o.base, 10000);
    const gamma = num('gamma', o.gamma, 0.4);
    const scaleBase = num('scaleBase', o.scaleBase, 512);
    const center = num('center', o.center, 0);
    const ga = tensorArg('dy', dy, ['batch', 'heads', 'seq', 'headDim']);
    const role = choice('role', o.role, ['q', 'k'], 'q');
    const layout = choice('layout', o.layout, enums.layout, 'interleaved');
    const pos = positionsArg(o.positions, ga.shape[0], ga.shape[2]);
    const offset = position('offset', o.offset, 0);
    if (!pos) lastPosition('offset', offset, ga.shape[2]);
    const [b, h, s, d] = ga.shape;
    const dx = output('dx', null, ga.shape);
    invoke(M, 'xposBackward', [ga, b, h, s, d, dx, role === 1, pos, lenOf(pos), offset, base, gamma, scaleBase, center, layout]);
    return dx.result;
  }

  /** dy: [batch, seq, d]; the forward's x and table among the options → { dx, dTable, dGamma?, dBeta? }. */
  function learnedBackward(dy, opts) {
    const o = options(opts, LEARNED, 'learnedBackward');
    const scale = num('scale', o.scale, 1);
    const eps = num('eps', o.eps, 1e-5);
    const dr = dropoutArgs(core, o, num('p', o.p, 0));
    const useLn = bool('useLn', o.useLn, false);
    const ga = tensorArg('dy', dy, ['batch', 'seq', 'd']);
    const xa = tensorArg('x', o.x, ['batch', 'seq', 'd']);
    const ta = tensorArg('table', o.table, ['maxLen', 'd']);
    agree('x.shape', xa.shape, ga.shape, ' (the shape of dy)');
    const gamma = vectorArg('gamma', o.gamma);
    const beta = vectorArg('beta', o.beta);
    const offset = position('offset', o.offset, 0);
    const pos = positionsArg(o.positions, ga.shape[0], ga.shape[1]);
    const [b, s, d] = ga.shape;
    const dx = output('dx', null, ga.shape);
    const dTable = output('dTable', null, ta.shape);
    const dGamma = useLn ? output('dGamma', null, [d]) : null;
    const dBeta = useLn ? output('dBeta', null, [d]) : null;
    invoke(M, 'learnedBackward', [ga, xa, b, s, d, ta, ta.shape[0], ta.shape[1], dx, dTable, dGamma, dBeta, offset, pos,
      lenOf(pos), scale, useLn, gamma, lenOf(gamma), beta, lenOf(beta), eps, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    const grads = { dx: dx.result, dTable: dTable.result };
    if (useLn) Object.assign(grads, { dGamma: dGamma.result, dBeta: dBeta.result });
    return grads;
  }

  // A bias gradient [heads, qLen, kLen] or [batch, heads, qLen, kLen], checked against the options' sizes.
  function biasGradient(dBias, o) {
    const four = rank(dBias) === 4;
    const ga = tensorArg('dBias', dBias, four ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
    const [B, H, Q, K] = four ? ga.shape : [1, ...ga.shape];
    const numHeads = heads('numHeads', o.numHeads, H);
    const qLen = size('qLen', o.qLen, Q);
    const kLen = size('kLen', o.kLen, K);
    agree('dBias.shape', four ? ga.shape.slice(1) : ga.shape, [numHeads, qLen, kLen], ' ([numHeads, qLen, kLen])');
    const qOffset = optPosition('qOffset', o.qOffset);
    if (!Number.isNaN(qOffset)) lastPosition('qOffset', qOffset, qLen, 'qLen');
    return { ga, B, numHeads, qLen, kLen, qOffset };
  }

  /** dBias: the gradient at clippedRelativeBias's output → dTable [2·maxDistance+1, numHeads]. */
  function clippedRelativeBiasBackward(dBias, opts) {
    const o = options(opts, CLIPPED, 'clippedRelativeBiasBackward');
    if (o.maxDistance === undefined || o.maxDistance === null) {
      fail('BAD_SIZE', 'maxDistance is required (the table has 2·maxDistance+1 rows), got none');
    }
    const maxDistance = position('maxDistance', o.maxDistance);
    const g = biasGradient(dBias, o);
    const dTable = output('dTable', null, [2 * maxDistance + 1, g.numHeads]);
    invoke(M, 'clippedRelativeBiasBackward', [g.ga, g.B, g.numHeads, maxDistance, g.qLen, g.kLen, g.qOffset, dTable]);
    return dTable.result;
  }

  /** dBias: the gradient at t5Bias's output → dTable [numBuckets, numHeads]. */
  function t5BiasBackward(dBias, opts) {
    const o = options(opts, T5_BIAS, 't5BiasBackward');
    const numBuckets = size('numBuckets', o.numBuckets, 32);
    const { bidirectional, maxDistance } = t5Options(o, numBuckets);
    const g = biasGradient(dBias, o);
    const dTable = output('dTable', null, [numBuckets, g.numHeads]);
    invoke(M, 't5BiasBackward', [g.ga, g.B, g.numHeads, numBuckets, g.qLen, g.kLen, g.qOffset, bidirectional, maxDistance, dTable]);
    return dTable.result;
  }

  /**
   * q [B, H, Q, D], k [B, Hkv, K, D], v [B, Hkv, K, Dv], dOut [B, H, Q, Dv] (Hkv divides H: grouped-query
   * attention) → { dq, dk, dv, dBias? (with bias), dSinks? (with sinks) }.
   */
  function sdpaBackward(q, k, v, dOut, opts) {
    const o = options(opts, SDPA, 'sdpaBackward');
    const scale = optNum('scale', o.scale);
    if (scale <= 0) fail('OUT_OF_RANGE', `scale must be > 0, got ${scale}`);
    const qa = tensorArg('q', q, ['batch', 'heads', 'qLen', 'headDim']);
    const ka = tensorArg('k', k, ['batch', 'kvHeads', 'kLen', 'headDim']);
    const va = tensorArg('v', v, ['batch', 'kvHeads', 'kLen', 'vDim']);
    const ga = tensorArg('dOut', dOut, ['batch', 'heads', 'qLen', 'vDim']);
    const [B, H, Q, D] = qa.shape;
    const [, Hkv, K] = ka.shape;
    const Dv = va.shape[3];
    agree('k.shape', ka.shape, [B, Hkv, K, D], ' to match q');
    agree('v.shape', va.shape.slice(0, 3), [B, Hkv, K], ' to match k');
    agree('dOut.shape', ga.shape, [B, H, Q, Dv], ' to match q and v');
    if (H % Hkv !== 0) fail('BAD_HEADS', `k.shape[1] (kv heads) must divide q's heads = ${H}, got ${Hkv}`);
    let bias = null;
    if (o.bias !== undefined && o.bias !== null) {
      const four = rank(o.bias) === 4;
      bias = tensorArg('bias', o.bias, four ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
      agree('bias.shape', bias.shape, four ? [B, H, Q, K] : [H, Q, K], ' to match q and k');
    }
    let alibiMode = -1, slopes = null;
    if (o.alibi === true) alibiMode = 0;
    else if (typeof o.alibi === 'string') alibiMode = choice('alibi', o.alibi, enums.alibiMode);
    else if (o.alibi !== undefined && o.alibi !== null && o.alibi !== false) slopes = vectorArg('alibi', o.alibi);
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

  /** dy, x: [..., d] → { dx, dGamma [d], dBeta [d] } of LayerNorm over the last axis. */
  function layerNormBackward(dy, x, opts) {
    const o = options(opts, LAYER_NORM, 'layerNormBackward');
    const eps = num('eps', o.eps, 1e-5);
    if (!(eps > 0)) fail('OUT_OF_RANGE', `eps must be > 0, got ${eps}`);
    const ga = tensorArg('dy', dy, null);
    const xa = tensorArg('x', x, null);
    agree('x.shape', xa.shape, ga.shape, ' (the shape of dy)');
    const d = ga.shape[ga.shape.length - 1];
    const gamma = vectorArg('gamma', o.gamma);
    if (gamma && gamma.n !== d) fail('SHAPE_MISMATCH', `gamma must have d = ${d} elements (x's last axis), got ${gamma.n}`);
    const dx = output('dx', null, ga.shape);
    const dGamma = output('dGamma', null, [d]);
    const dBeta = output('dBeta', null, [d]);
    invoke(M, 'layerNormBackward', [ga, xa, ga.n / d, d, gamma, lenOf(gamma), eps, dx, dGamma, dBeta]);
    return { dx: dx.result, dGamma: dGamma.result, dBeta: dBeta.result };
  }

  /** dy (any shape) → dx = dy·keep/(1 − p): the keep mask given, or drawn again from seed; train defaults to true. */
  function dropoutBackward(dy, opts) {
    const o = options(opts, DROPOUT, 'dropoutBackward');
    const p = num('p', o.p, 0);
    const dr = dropoutArgs(core, { ...o, train: o.train ?? true }, p);
    const ga = tensorArg('dy', dy, null);
    if (!(p >= 0 && p <= 1)) fail('OUT_OF_RANGE', `p must be in [0, 1], got ${p}`);
    if (dr.mask && dr.mask.n !== ga.n) fail('SHAPE_MISMATCH', `keepMask must have ${ga.n} elements for dy's shape, got ${dr.mask.n}`);
    const dx = output('dx', null, ga.shape);
    invoke(M, 'dropoutBackward', [ga, ga.n, dx, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    return dx.result;
  }

  return { ropeBackward, xposBackward, learnedBackward, clippedRelativeBiasBackward, t5BiasBackward, sdpaBackward,
    layerNormBackward, dropoutBackward };
}
