// Learned absolute embedding (GPT-2's wpe, with optional scale, LayerNorm and dropout) and the seed's
// module, which can also hold a learned clipped relative bias table.
import { bool, fail, fitsMemory, heads, int, num, options, position, sameShape, seed, showShape, size } from './checks.js';
import { DROPOUT_OPTIONS, dropoutArgs } from './dropout.js';

const FORWARD = ['offset', 'positions', 'scale', 'useLn', 'gamma', 'beta', 'eps', 'out', ...DROPOUT_OPTIONS];
const CONFIG = ['dim', 'maxLen', 'dropout', 'scale', 'layerNorm', 'relative', 'numHeads', 'maxDistance', 'seed'];
const MODULE_FORWARD = ['offset', 'positions', 'out'];
const BACKWARD = ['x', 'table', 'gamma', 'beta', 'positions', 'offset', 'scale', 'useLn', 'eps', ...DROPOUT_OPTIONS];
// The module's state buffers in the C++ side's index order (statePtr(i), stateSize(i)).
const STATE = ['table', 'gamma', 'beta', 'relativeTable'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createLearned(core, { Module, moduleBias, stateEntry }) {
  const { M, invoke, tensorArg, vectorArg, positionsArg, output, lenOf } = core;

  // The forward's and the gradient's scalar options, read first (NON_FINITE comes first in the order of codes).
  function scalarArgs(o) {
    const scale = num('scale', o.scale, 1);
    const eps = num('eps', o.eps, 1e-5);
    const dr = dropoutArgs(core, o, num('p', o.p, 0));
    return { scale, eps, dr, useLn: bool('useLn', o.useLn, false) };
  }

  function learnedForward(x, table, opts) {
    const o = options(opts, FORWARD, 'learnedForward');
    const { scale, eps, dr, useLn } = scalarArgs(o);
    const xa = tensorArg('x', x, ['batch', 'seq', 'd']);
    const ta = tensorArg('table', table, ['maxLen', 'd']);
    const gamma = vectorArg('gamma', o.gamma);
    const beta = vectorArg('beta', o.beta);
    const offset = position('offset', o.offset, 0);
    const pos = positionsArg(o.positions, xa.shape[0], xa.shape[1]);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    const [b, s, d] = xa.shape;
    invoke(M, 'learnedForward', [xa, b, s, d, ta, ta.shape[0], ta.shape[1], out, offset, pos, lenOf(pos), scale, useLn,
      gamma, lenOf(gamma), beta, lenOf(beta), eps, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    return out.result;
  }

  /** dy: [batch, seq, d]; the forward's x and table among the options → { dx, dTable, dGamma?, dBeta? }. */
  function learnedBackward(dy, opts) {
    const o = options(opts, BACKWARD, 'learnedBackward');
    const { scale, eps, dr, useLn } = scalarArgs(o);
    const ga = tensorArg('dy', dy, ['batch', 'seq', 'd']);
    const xa = tensorArg('x', o.x, ['batch', 'seq', 'd']);
    const ta = tensorArg('table', o.table, ['maxLen', 'd']);
    sameShape('x.shape', xa.shape, ga.shape, ' (the shape of dy)');
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

  class LearnedPositionalEmbedding extends Module {
    constructor(config) {
      const c = options(config, CONFIG, 'LearnedPositionalEmbedding', 'config');
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 512);
      const p = num('dropout', c.dropout, 0.1);
      const scale = num('scale', c.scale, 1);
      const layerNorm = bool('layerNorm', c.layerNorm, false);
      const relative = bool('relative', c.relative, false);
      const numHeads = heads('numHeads', c.numHeads, 8);
      const maxDistance = int('maxDistance', c.maxDistance, 'BAD_SIZE', 0, 16);
      fitsMemory(`the table [maxLen, dim] = [${maxLen}, ${dim}]`, maxLen * dim);
      if (relative) fitsMemory(`the relative table [2·maxDistance+1, numHeads] = [${2 * maxDistance + 1}, ${numHeads}]`, (2 * maxDistance + 1) * numHeads);
      super('LearnedPositionalEmbedding', [dim, maxLen, p, scale, layerNorm, relative, numHeads, maxDistance, seed(c.seed)]);
      Object.assign(this, { dim, maxLen, dropout: p, scale, layerNorm, relative, numHeads, maxDistance });
    }
    /** x: [batch, seq, dim] → x + scale·table[positions], LayerNorm if configured, dropout in train mode. */
    forward(x, opts) {
      const o = options(opts, MODULE_FORWARD, 'LearnedPositionalEmbedding.forward');
      const h = this.handle;
      const xa = tensorArg('x', x, ['batch', 'seq', 'dim']);
      if (xa.shape[2] !== this.dim) fail('SHAPE_MISMATCH', `x.shape[2] must be dim = ${this.dim}, got ${xa.shape[2]}`);
      const offset = position('offset', o.offset, 0);
      const pos = positionsArg(o.positions, xa.shape[0], xa.shape[1]);
      const out = output('out', o.out, xa.shape).inPlaceOf(xa);
      invoke(h, 'forward', [xa, xa.shape[0], xa.shape[1], out, offset, pos, lenOf(pos)]);
      return out.result;
    }
    /** The learned clipped relative bias [numHeads, qLen, kLen] (only with relative: true). */
    relativeBias(qLen, kLen, opts) {
      return moduleBias(this, 'relativeBias', qLen, kLen, opts);
    }
    #shapes() {
      return {
        table: [this.maxLen, this.dim],
        gamma: [this.dim],
        beta: [this.dim],
        relativeTable: [2 * this.maxDistance + 1, this.numHeads],
      };
    }
    // (index, key) of each buffer this config has.
    #present() {
      const h = this.handle;
      return STATE.map((key, i) => [i, key, invoke(h, 'stateSize', [i])]).filter(([, , n]) => n > 0);
    }
    /** { table, gamma?, beta?, relativeTable? }: owned copies of the parameters this config has. */
    stateDict() {
      const h = this.handle;
      const shapes = this.#shapes();
      const state = {};
      for (const [i, key, n] of this.#present()) state[key] = { data: core.copyF32(invoke(h, 'statePtr', [i]), n), shape: shapes[key] };
      return state;
    }
    /** Copies every parameter of this config from `state` (shapes must match). */
    loadStateDict(state) {
      const h = this.handle;
      const shapes = this.#shapes();
      const entries = [];
      for (const [i, key] of this.#present()) {
        const t = tensorArg(`state.${key}`, stateEntry(state, key, 'LearnedPositionalEmbedding'), null);
        if (t.shape.join() !== shapes[key].join()) {
          fail('SHAPE_MISMATCH', `state.${key} must have shape ${showShape(shapes[key])}, got ${showShape(t.shape)}`);
        }
        const data = t.view(); // the values checked, not a second read of a getter
        const bad = data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) fail('NON_FINITE', `state.${key}[${bad}] must be finite, got ${data[bad]}`);
        entries.push([i, data]);
      }
      for (const [i, data] of entries) core.heapF32().set(data, invoke(h, 'statePtr', [i]) >> 2);
      return this;
    }
  }

  return { learnedForward, learnedBackward, LearnedPositionalEmbedding };
}
