// Relative position biases from a learned table: T5's log buckets (shared by bidirectional encoders and
// causal decoders) and Shaw-style clipped distances.
import { bool, fail, heads, int, lastPosition, optPosition, options, position, sameShape, size } from './checks.js';
import { kindOf } from './typed-arrays.js';

const CLIPPED = ['numHeads', 'maxDistance', 'qLen', 'kLen', 'qOffset', 'out'];
const BUCKETS = ['bidirectional', 'numBuckets', 'maxDistance', 'out'];
const T5_BIAS = ['numHeads', 'numBuckets', 'qLen', 'kLen', 'qOffset', 'bidirectional', 'maxDistance', 'out'];
const CLIPPED_BACKWARD = CLIPPED.filter((key) => key !== 'out');
const T5_BIAS_BACKWARD = T5_BIAS.filter((key) => key !== 'out');

// T5's bucket options: numBuckets leaves at least one exact bucket per direction, maxDistance lies past them.
export function t5Options(o, numBuckets) {
  const bidirectional = bool('bidirectional', o.bidirectional, true);
  const maxDistance = size('maxDistance', o.maxDistance, 128);
  const exact = Math.floor((bidirectional ? Math.floor(numBuckets / 2) : numBuckets) / 2);
  if (exact < 1) {
    fail('OUT_OF_RANGE', `numBuckets must be >= ${bidirectional ? '4 when bidirectional' : '2 when unidirectional'} ` +
      `(exact buckets e = floor(nb/2) >= 1), got ${numBuckets}`);
  }
  if (maxDistance <= exact) fail('OUT_OF_RANGE', `maxDistance must be > the exact-bucket count e = ${exact}, got ${maxDistance}`);
  return { bidirectional, maxDistance };
}

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createRelative(core) {
  const { M, invoke, tensorArg, vectorArg, output, rankOf } = core;

  function clippedRelativeBias(table, opts) {
    const o = options(opts, CLIPPED, 'clippedRelativeBias');
    const ta = tensorArg('table', table, ['2*maxDistance+1', 'heads']);
    const numHeads = heads('numHeads', o.numHeads, ta.shape[1]);
    if ((o.maxDistance === undefined || o.maxDistance === null) && ta.shape[0] % 2 === 0) {
      fail('SHAPE_MISMATCH', `table must have 2·maxDistance+1 rows, got ${ta.shape[0]}`);
    }
    const maxDistance = int('maxDistance', o.maxDistance, 'BAD_SIZE', 0, (ta.shape[0] - 1) / 2);
    const qLen = size('qLen', o.qLen);
    const kLen = size('kLen', o.kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    if (!Number.isNaN(qOffset)) lastPosition('qOffset', qOffset, qLen, 'qLen');
    const out = output('out', o.out, [numHeads, qLen, kLen]);
    invoke(M, 'clippedRelativeBias', [ta, ta.shape[0], ta.shape[1], numHeads, maxDistance, qLen, kLen, qOffset, out, out.n]);
    return out.result;
  }

  function t5Buckets(relativePositions, opts) {
    const o = options(opts, BUCKETS, 't5Buckets');
    const plain = kindOf(relativePositions) === 'Int32Array';
    const rp = plain ? vectorArg('relativePositions', relativePositions, Int32Array) : tensorArg('relativePositions', relativePositions, null, Int32Array);
    const numBuckets = size('numBuckets', o.numBuckets, 32);
    const { bidirectional, maxDistance } = t5Options(o, numBuckets);
    const out = output('out', o.out, rp.shape, Int32Array, !plain).inPlaceOf(rp);
    if (rp.n > 0) invoke(M, 't5Buckets', [rp, rp.n, out, bidirectional, numBuckets, maxDistance]);
    else out.finish();
    return out.result;
  }

  function t5Bias(table, opts) {
    const o = options(opts, T5_BIAS, 't5Bias');
    const ta = tensorArg('table', table, ['numBuckets', 'heads']);
    const numHeads = heads('numHeads', o.numHeads, ta.shape[1]);
    const numBuckets = size('numBuckets', o.numBuckets, ta.shape[0]);
    const qLen = size('qLen', o.qLen);
    const kLen = size('kLen', o.kLen);
    const qOffset = optPosition('qOffset', o.qOffset);
    if (!Number.isNaN(qOffset)) lastPosition('qOffset', qOffset, qLen, 'qLen');
    const bidirectional = bool('bidirectional', o.bidirectional, true);
    // numBuckets is the table's row count; a different explicit one would silently index another table.
    if (numBuckets !== ta.shape[0]) fail('SHAPE_MISMATCH', `table must have numBuckets = ${numBuckets} rows, got ${ta.shape[0]}`);
    const maxDistance = size('maxDistance', o.maxDistance, 128);
    const out = output('out', o.out, [numHeads, qLen, kLen]);
    invoke(M, 't5Bias', [ta, ta.shape[0], ta.shape[1], numHeads, qLen, kLen, qOffset, bidirectional, maxDistance, out, out.n]);
    return out.result;
  }

  // A bias gradient [heads, qLen, kLen] or [batch, heads, qLen, kLen], checked against the options' sizes.
  function biasGradient(dBias, o) {
    const four = rankOf(dBias) === 4;
    const ga = tensorArg('dBias', dBias, four ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
    const [B, H, Q, K] = four ? ga.shape : [1, ...ga.shape];
    const numHeads = heads('numHeads', o.numHeads, H);
    const qLen = size('qLen', o.qLen, Q);
    const kLen = size('kLen', o.kLen, K);
    sameShape('dBias.shape', four ? ga.shape.slice(1) : ga.shape, [numHeads, qLen, kLen], ' ([numHeads, qLen, kLen])');
    const qOffset = optPosition('qOffset', o.qOffset);
    if (!Number.isNaN(qOffset)) lastPosition('qOffset', qOffset, qLen, 'qLen');
    return { ga, B, numHeads, qLen, kLen, qOffset };
  }

  /** dBias: the gradient at clippedRelativeBias's output → dTable [2·maxDistance+1, numHeads]. */
  function clippedRelativeBiasBackward(dBias, opts) {
    const o = options(opts, CLIPPED_BACKWARD, 'clippedRelativeBiasBackward');
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
    const o = options(opts, T5_BIAS_BACKWARD, 't5BiasBackward');
    const numBuckets = size('numBuckets', o.numBuckets, 32);
    const { bidirectional, maxDistance } = t5Options(o, numBuckets);
    const g = biasGradient(dBias, o);
    const dTable = output('dTable', null, [numBuckets, g.numHeads]);
    invoke(M, 't5BiasBackward', [g.ga, g.B, g.numHeads, numBuckets, g.qLen, g.kLen, g.qOffset, bidirectional, maxDistance, dTable]);
    return dTable.result;
  }

  return { clippedRelativeBias, t5Buckets, t5Bias, clippedRelativeBiasBackward, t5BiasBackward };
}
