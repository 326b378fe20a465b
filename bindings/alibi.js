// ALiBi: the authors' slopes, the bias in its three modes, and the seed's module with a cached causal bias.
import { choice, fail, fitsMemory, heads, options, qOffsetOf, size } from './checks.js';

const SLOPES = ['out'];
const BIAS = ['qOffset', 'mode', 'out'];
const CONFIG = ['numHeads', 'maxLen'];
const MODULE_FORWARD = ['qOffset', 'out'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createAlibi(core, { Module, moduleBias }) {
  const { M, enums, invoke, tensorArg, output } = core;

  function alibiSlopes(numHeads, opts) {
    const o = options(opts, SLOPES, 'alibiSlopes');
    heads('numHeads', numHeads);
    const out = output('out', o.out, [numHeads], Float32Array, false);
    invoke(M, 'alibiSlopes', [numHeads, out, numHeads]);
    return out.result;
  }

  function alibiBias(numHeads, qLen, kLen, opts) {
    const o = options(opts, BIAS, 'alibiBias');
    heads('numHeads', numHeads);
    size('qLen', qLen);
    size('kLen', kLen);
    const mode = choice('mode', o.mode, enums.alibiMode, 'causal');
    const qOffset = qOffsetOf(o.qOffset, qLen, kLen);
    const out = output('out', o.out, [numHeads, qLen, kLen]);
    invoke(M, 'alibiBias', [numHeads, qLen, kLen, qOffset, mode, out, out.n]);
    return out.result;
  }

  class ALiBiPositionalEncoding extends Module {
    constructor(config) {
      const c = options(config, CONFIG, 'ALiBiPositionalEncoding', 'config');
      const numHeads = heads('numHeads', c.numHeads);
      const maxLen = size('maxLen', c.maxLen, 512);
      fitsMemory(`the cached causal bias [numHeads, maxLen, maxLen] = [${numHeads}, ${maxLen}, ${maxLen}]`, numHeads * maxLen * maxLen);
      super('ALiBiPositionalEncoding', [numHeads, maxLen]);
      Object.assign(this, { numHeads, maxLen });
    }
    /** The causal ALiBi bias [numHeads, qLen, kLen] (queries at the last positions unless qOffset). */
    bias(qLen, kLen, opts) {
      return moduleBias(this, 'bias', qLen, kLen, opts);
    }
    /** scores: [batch, numHeads, qLen, kLen] → scores + bias(qLen, kLen). */
    forward(scores, opts) {
      const o = options(opts, MODULE_FORWARD, 'ALiBiPositionalEncoding.forward');
      const h = this.handle;
      const sa = tensorArg('scores', scores, ['batch', 'heads', 'qLen', 'kLen']);
      if (sa.shape[1] !== this.numHeads) fail('SHAPE_MISMATCH', `scores.shape[1] must be numHeads = ${this.numHeads}, got ${sa.shape[1]}`);
      const qOffset = qOffsetOf(o.qOffset, sa.shape[2], sa.shape[3]);
      const out = output('out', o.out, sa.shape).inPlaceOf(sa);
      invoke(h, 'forward', [sa, sa.shape[0], sa.shape[2], sa.shape[3], out, qOffset]);
      return out.result;
    }
    /** { slopes: [numHeads] } — computed from numHeads. */
    stateDict() {
      const slopes = invoke(this.handle, 'slopes', []);
      return { slopes: { data: core.copyF64AsF32(slopes, this.numHeads), shape: [this.numHeads] } };
    }
  }

  return { alibiSlopes, alibiBias, ALiBiPositionalEncoding };
}
