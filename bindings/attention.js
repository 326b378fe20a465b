// Scaled dot-product attention with the position biases applied inside the kernel: an additive bias,
// ALiBi (a mode or explicit slopes) and a causal mask aligned at qOffset.
import { bool, choice, fail, optNum, options, qOffsetOf, showShape } from './checks.js';

const SDPA = ['bias', 'alibi', 'causal', 'qOffset', 'scale', 'returnProbs', 'out', 'probsOut'];

// A shape must equal want, the sizes q implies.
function agree(what, got, want) {
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) fail('SHAPE_MISMATCH', `${what} must be ${showShape(want)} to match q, got ${showShape(got)}`);
  }
}

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createAttention(core) {
  const { M, enums, invoke, tensorArg, vectorArg, output, lenOf, HeapTensor } = core;
  const shapeRank = (t) => (HeapTensor.is(t) ? t.shape.length : Array.isArray(t?.shape) ? t.shape.length : 0);

  function biasArg(bias, B, H, Q, K) {
    if (bias === undefined || bias === null) return null;
    const rank = shapeRank(bias);
    const arg = tensorArg('bias', bias, rank === 4 ? ['batch', 'heads', 'qLen', 'kLen'] : ['heads', 'qLen', 'kLen']);
    agree('bias.shape', arg.shape, rank === 4 ? [B, H, Q, K] : [H, Q, K]);
    return arg;
  }

  function sdpa(q, k, v, opts) {
    const o = options(opts, SDPA, 'sdpa');
    const scale = optNum('scale', o.scale);
    if (scale <= 0) fail('OUT_OF_RANGE', `scale must be > 0, got ${scale}`);
    const qa = tensorArg('q', q, ['batch', 'heads', 'qLen', 'headDim']);
    const ka = tensorArg('k', k, ['batch', 'heads', 'kLen', 'headDim']);
    const va = tensorArg('v', v, ['batch', 'heads', 'kLen', 'vDim']);
    const [B, H, Q, D] = qa.shape;
    const K = ka.shape[2];
    const Dv = va.shape[3];
    agree('k.shape', ka.shape, [B, H, K, D]);
    agree('v.shape', va.shape.slice(0, 3), [B, H, K]);
    const bias = biasArg(o.bias, B, H, Q, K);
    let alibiMode = -1;
    let slopes = null;
    if (o.alibi === true) alibiMode = 0;
    else if (typeof o.alibi === 'string') alibiMode = choice('alibi', o.alibi, enums.alibiMode);
    else if (o.alibi !== undefined && o.alibi !== null && o.alibi !== false) slopes = vectorArg('alibi', o.alibi);
    const causal = bool('causal', o.causal, false);
    const returnProbs = bool('returnProbs', o.returnProbs, false);
    const qOffset = qOffsetOf(o.qOffset, Q, K);
    const out = output('out', o.out, [B, H, Q, Dv]);
    const probs = returnProbs ? output('probsOut', o.probsOut, [B, H, Q, K]) : null;
    invoke(M, 'sdpa', [qa, ka, va, B, H, Q, K, D, Dv, out, probs, bias, lenOf(bias), bias ? bias.shape.length === 4 : false,
      alibiMode, slopes, lenOf(slopes), causal, qOffset, scale]);
    return probs ? { out: out.result, probs: probs.result } : { out: out.result };
  }

  return { sdpa };
}
