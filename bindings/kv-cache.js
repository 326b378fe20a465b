// A per-layer key/value cache for decoding: the keys and values of every position so far, kept in
// WebAssembly memory in the layout sdpa reads in place (sdpa(q, cache, cache, options)). Appending grows
// the storage by doubling, so n appends copy O(n) values in all.
import { disposeSymbol, fail, fitsMemory, heads, int, options, show, showShape, size } from './checks.js';
import { kindOf } from './typed-arrays.js';

const CONFIG = ['batch', 'kvHeads', 'headDim', 'vDim', 'capacity'];

/** @param {ReturnType<import('./core.js').createCore>} core */
export function createKVCache(core) {
  const { M, invoke, tensorArg, vectorArg } = core;

  class KVCache {
    #handle;
    constructor(config) {
      const c = options(config, CONFIG, 'KVCache', 'config');
      const batch = size('batch', c.batch, 1);
      const kvHeads = heads('kvHeads', c.kvHeads);
      const headDim = size('headDim', c.headDim);
      const vDim = size('vDim', c.vDim, headDim);
      const capacity = int('capacity', c.capacity, 'BAD_SIZE', 0, 0);
      fitsMemory(`the cache [batch, kvHeads, capacity, max(headDim, vDim)] = [${batch}, ${kvHeads}, ${capacity}, ${Math.max(headDim, vDim)}]`,
        batch * kvHeads * capacity * Math.max(headDim, vDim));
      this.#handle = invoke(M, 'KVCache', [batch, kvHeads, headDim, vDim, capacity], true);
      for (const [key, value] of Object.entries({ batch, kvHeads, headDim, vDim })) {
        Object.defineProperty(this, key, { value, enumerable: true });
      }
    }
    /** Whether `v` is a KVCache itself (not a Proxy of one or a look-alike). */
    static is(v) {
      return typeof v === 'object' && v !== null && #handle in v;
    }
    get handle() {
      if (!KVCache.is(this)) fail('SHAPE_MISMATCH', `a KVCache member was used on ${show(this)}; use the cache itself`);
      if (!this.#handle) fail('DELETED', 'this KVCache was deleted; create a new one');
      return this.#handle;
    }
    get deleted() {
      return !this.#handle;
    }
    /** Positions held (keys per batch row and kv head). */
    get length() {
      return invoke(this.handle, 'length', []);
    }
    /** Positions the storage holds before it grows again. */
    get capacity() {
      return invoke(this.handle, 'capacity', []);
    }
    // One of append's tensors: [batch, kvHeads, n, dim] as {data, shape} or a heap tensor, or a bare
    // Float32Array of batch·kvHeads·n·dim values; returns the argument and n.
    #rows(name, t, dim, dimName) {
      const per = this.batch * this.kvHeads * dim;
      if (kindOf(t) === 'Float32Array') {
        const arg = vectorArg(name, t);
        if (arg.n === 0 || arg.n % per !== 0) {
          fail('SHAPE_MISMATCH', `${name} must hold batch·kvHeads·n·${dimName} = ${this.batch}·${this.kvHeads}·n·${dim} values for some n >= 1, got ${arg.n}`);
        }
        return [arg, arg.n / per];
      }
      const arg = tensorArg(name, t, ['batch', 'kvHeads', 'n', dimName]);
      const want = [this.batch, this.kvHeads, arg.shape[2], dim];
      if (arg.shape.some((s, i) => s !== want[i])) fail('SHAPE_MISMATCH', `${name}.shape must be ${showShape(want)} for this cache, got ${showShape(arg.shape)}`);
      return [arg, arg.shape[2]];
    }
    /** Appends n positions: k [batch, kvHeads, n, headDim], v [batch, kvHeads, n, vDim]. */
    append(k, v) {
      const h = this.handle;
      const [ka, n] = this.#rows('k', k, this.headDim, 'headDim');
      const [va, nv] = this.#rows('v', v, this.vDim, 'vDim');
      if (n !== nv) fail('SHAPE_MISMATCH', `k and v must hold the same number of positions, got ${n} and ${nv}`);
      const length = invoke(h, 'length', []);
      fitsMemory(`the cache [batch, kvHeads, length + n, max(headDim, vDim)] = [${this.batch}, ${this.kvHeads}, ${length + n}, ${Math.max(this.headDim, this.vDim)}]`,
        this.batch * this.kvHeads * (length + n) * Math.max(this.headDim, this.vDim));
      invoke(h, 'append', [ka, va, n]);
      return this;
    }
    /** Forgets every position (length 0) and keeps the storage for the next sequence. */
    clear() {
      invoke(this.handle, 'clear', []);
      return this;
    }
    /** Frees the cache's WebAssembly memory; calling it again does nothing. */
    delete() {
      if (KVCache.is(this) && this.#handle) invoke(this.#handle, 'delete', []);
      if (KVCache.is(this)) this.#handle = null;
    }
    [disposeSymbol]() {
      this.delete();
    }
  }

  return { KVCache };
}
