// Sinusoidal encoding: the table, x + table rows (with dropout), and the seed's module.
import { DROPOUT_OPTIONS, dropoutArgs } from './dropout.js';
import { even, fail, fitsMemory, num, options, position, optSize, seed, size } from './checks.js';
import { SCRATCH_FLOATS } from './core.js';

const TABLE = ['base', 'start', 'count', 'out'];
const FORWARD = ['maxLen', 'offset', 'base', 'out', ...DROPOUT_OPTIONS];
const CONFIG = ['dim', 'maxLen', 'dropout', 'base', 'seed'];
const MODULE_FORWARD = ['offset', 'out'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createSinusoidal(core, { Module }) {
  const { M, invoke, tensorArg, output, lenOf, Scratch, CallbackGuard, heapF32 } = core;

  // Where sinusoidalTableSlices' callback copies each slice: one long-lived function reading the call's
  // state here, not a closure made per call (whose optimised code a full GC discards).
  const tableScratch = new Scratch(SCRATCH_FLOATS);
  const slices = { target: null, scratch: tableScratch, d: 0 };
  const guard = new CallbackGuard();
  const copyTableSlice = guard.wrap((row, rows) => {
    const { target, scratch, d } = slices;
    target.set(heapF32().subarray(scratch.at, scratch.at + rows * d), row * d);
  });

  function sinusoidalTable(maxLen, d, opts) {
    const o = options(opts, TABLE, 'sinusoidalTable');
    const base = num('base', o.base, 10000);
    size('maxLen', maxLen);
    size('d', d);
    const start = position('start', o.start, 0);
    const count = optSize('count', o.count);
    even('d', d);
    if (!(base > 1)) fail('OUT_OF_RANGE', `base must be greater than 1, got ${base}`);
    if (start >= maxLen) fail('BAD_POSITION', `start must be in [0, maxLen) = [0, ${maxLen}), got ${start}`);
    const rows = Number.isNaN(count) ? maxLen - start : count;
    if (rows > maxLen - start) fail('BAD_POSITION', `start + count must be at most maxLen = ${maxLen}, got ${start} + ${rows}`);
    const out = output('out', o.out, [rows, d]);
    if (out.n > SCRATCH_FLOATS && out.start() < 0) {
      // A large table for a JS array is made a slice of rows at a time in WebAssembly memory, each copied
      // out while it is still in cache: the table streams through memory once, not twice.
      const target = out.view ?? new Float32Array(out.n);
      const scratch = d > SCRATCH_FLOATS ? new Scratch(d) : tableScratch;
      slices.target = target;
      slices.scratch = scratch;
      slices.d = d;
      try {
        invoke(M, 'sinusoidalTableSlices', [maxLen, d, scratch, scratch.floats, base, start, count, copyTableSlice]);
      } finally {
        slices.target = null;
      }
      guard.rethrow();
      return { data: out.given ?? target, shape: [rows, d] };
    }
    invoke(M, 'sinusoidalTable', [maxLen, d, out, out.n, base, start, count]);
    return out.result;
  }

  function sinusoidalForward(x, opts) {
    const o = options(opts, FORWARD, 'sinusoidalForward');
    const base = num('base', o.base, 10000);
    const dr = dropoutArgs(core, o, num('p', o.p, 0.1));
    const maxLen = size('maxLen', o.maxLen, 5000);
    const xa = tensorArg('x', x, ['batch', 'seq', 'd']);
    const offset = position('offset', o.offset, 0);
    const out = output('out', o.out, xa.shape).inPlaceOf(xa);
    const [b, s, d] = xa.shape;
    invoke(M, 'sinusoidalForward', [xa, b, s, d, out, maxLen, offset, base, dr.p, dr.train, dr.mask, lenOf(dr.mask), dr.seed]);
    return out.result;
  }

  class SinusoidalPositionalEncoding extends Module {
    constructor(config) {
      const c = options(config, CONFIG, 'SinusoidalPositionalEncoding', 'config');
      const dim = size('dim', c.dim);
      const maxLen = size('maxLen', c.maxLen, 5000);
      const p = num('dropout', c.dropout, 0.1);
      const base = num('base', c.base, 10000);
      fitsMemory(`the (maxLen, dim) = (${maxLen}, ${even('dim', dim)}) table`, maxLen * dim);
      super('SinusoidalPositionalEncoding', [dim, maxLen, p, base, seed(c.seed)]);
      Object.assign(this, { dim, maxLen, dropout: p, base });
    }
    /** x: [batch, seq, dim] → x + pe[offset … offset+seq−1], then dropout in train mode. */
    forward(x, opts) {
      const o = options(opts, MODULE_FORWARD, 'SinusoidalPositionalEncoding.forward');
      const h = this.handle;
      const xa = tensorArg('x', x, ['batch', 'seq', 'dim']);
      if (xa.shape[2] !== this.dim) fail('SHAPE_MISMATCH', `x.shape[2] must be dim = ${this.dim}, got ${xa.shape[2]}`);
      const offset = position('offset', o.offset, 0);
        const out = output('out', o.out, xa.shape).inPlaceOf(xa);
      invoke(h, 'forward', [xa, xa.shape[0], xa.shape[1], out, offset]);
      return out.result;
    }
    stateDict() {
      const table = invoke(this.handle, 'table', []);
      return { pe: { data: core.copyF32(table, this.maxLen * this.dim), shape: [this.maxLen, this.dim] } };
    }
  }

  return { sinusoidalTable, sinusoidalForward, SinusoidalPositionalEncoding };
}
