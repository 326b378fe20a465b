// Inverted dropout and its gradient, and the dropout options sinusoidalForward and learnedForward share with it.
import { bool, fail, num, options, seed } from './checks.js';

export const DROPOUT_OPTIONS = ['p', 'train', 'keepMask', 'seed'];

// p is a float parameter: callers read it first (NON_FINITE comes first in the order of error codes).
export function dropoutArgs(core, o, p) {
  return { p, train: bool('train', o.train, false), mask: core.maskArg('keepMask', o.keepMask), seed: seed(o.seed) };
}

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createDropout(core) {
  const { invoke, tensorArg, output, lenOf } = core;
  const DROPOUT = [...DROPOUT_OPTIONS, 'out'];

  function dropout(x, opts) {
    const o = options(opts, DROPOUT, 'dropout');
    const dr = dropoutArgs(core, o, num('p', o.p, 0));
    const xa = tensorArg('x', x, null);
    if (!(dr.p >= 0 && dr.p <= 1)) fail('OUT_OF_RANGE', `p must be in [0, 1], got ${dr.p}`);
    if (dr.mask && dr.mask.n !== xa.n) fail('SHAPE_MISMATCH', `keepMask must have ${xa.n} elements for the given shape, got ${dr.mask.n}`);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    invoke(core.M, 'dropout', [xa, xa.n, out, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    return out.result;
  }

  /** dy (any shape) → dx = dy·keep/(1 − p): the keep mask given, or drawn again from seed; train defaults to true. */
  function dropoutBackward(dy, opts) {
    const o = options(opts, DROPOUT_OPTIONS, 'dropoutBackward');
    const p = num('p', o.p, 0);
    const dr = dropoutArgs(core, { ...o, train: o.train ?? true }, p);
    const ga = tensorArg('dy', dy, null);
    if (!(p >= 0 && p <= 1)) fail('OUT_OF_RANGE', `p must be in [0, 1], got ${p}`);
    if (dr.mask && dr.mask.n !== ga.n) fail('SHAPE_MISMATCH', `keepMask must have ${ga.n} elements for dy's shape, got ${dr.mask.n}`);
    const dx = output('dx', null, ga.shape);
    invoke(core.M, 'dropoutBackward', [ga, ga.n, dx, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    return dx.result;
  }

  return { dropout, dropoutBackward };
}
