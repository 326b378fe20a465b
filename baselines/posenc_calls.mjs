// The ways of calling posenc behind the benchmark's common ops (table, rope, sdpa, decodeRope), for a
// loaded module `pe`: the call writing into a caller's `out` array, the call returning a fresh result
// (copy), and the zero-copy path (heap tensors allocated once, kernels run in place). Browser-safe (no
// node imports): the benchmark (bench/impl/posenc.mjs) uses it in Node, and the demo's Speed panel runs it in the page.

import { repeatKv } from './inputs.mjs';

const shape4 = (heads, seq, dim) => [1, heads, seq, dim];

// One way of calling posenc (`mode`: 'out' | 'copy' | 'heap') behind the benchmark's common ops.
export function variant(pe, name, mode) {
  const heap = mode === 'heap';
  const owned = [];
  const tensor = (data, shape) => {
    if (!heap) return { data, shape };
    const t = pe.tensor(data, shape);
    owned.push(t);
    return t;
  };
  const target = (shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    if (mode === 'copy') return undefined;
    if (mode === 'out') return new Float32Array(n);
    const t = pe.alloc(shape);
    owned.push(t);
    return t;
  };
  const values = (r) => (r.read ? r.read() : r.data ?? r);
  const free = () => owned.splice(0).forEach((t) => t.delete());

  return {
    name,
    pe,
    table({ start, count, d }) {
      const out = target([count, d]);
      let last;
      return { run: () => (last = pe.sinusoidalTable(start + count, d, { start, count, out })),
        output: () => [values(last)], free };
    },
    rope({ heads, seq, dim, layout, offset, q, k }) {
      const shape = shape4(heads, seq, dim);
      const xs = [tensor(q, shape), tensor(k, shape)];
      const outs = heap ? xs : [target(shape), target(shape)];  // the zero-copy path rotates in place
      let last;
      return { run: () => (last = xs.map((x, i) => pe.ropeForward(x, { layout, offset, out: outs[i] }))),
        output: () => last.map(values), free };
    },
    sdpa({ heads, qLen, kLen, dim, q, k, v }) {
      const args = [tensor(q, shape4(heads, qLen, dim)), tensor(k, shape4(heads, kLen, dim)), tensor(v, shape4(heads, kLen, dim))];
      const out = target(shape4(heads, qLen, dim));
      let last;
      return { run: () => (last = pe.sdpa(...args, { alibi: 'causal', causal: true, out })),
        output: () => [values(last.out)], free };
    },
    // Causal GQA prefill (W5): K/V with kvHeads heads, or (repeat) the same K/V repeated to every head.
    sdpaGqa({ heads, kvHeads, len, dim, repeat, q, k, v }) {
      const kv = repeat ? heads : kvHeads;
      const [rk, rv] = repeat ? [repeatKv(k, kvHeads, heads, len, dim), repeatKv(v, kvHeads, heads, len, dim)] : [k, v];
      const args = [tensor(q, shape4(heads, len, dim)), tensor(rk, shape4(kv, len, dim)), tensor(rv, shape4(kv, len, dim))];
      const out = target(shape4(heads, len, dim));
      let last;
      return { run: () => (last = pe.sdpa(...args, { causal: true, out })), output: () => [values(last.out)], free };
    },
    // One decoding step (W6): a query token at position kLen − 1 against kLen keys (window 0: all of them).
    sdpaDecode({ heads, kvHeads, kLen, dim, window, q, k, v }) {
      const args = [tensor(q, shape4(heads, 1, dim)), tensor(k, shape4(kvHeads, kLen, dim)), tensor(v, shape4(kvHeads, kLen, dim))];
      const out = target(shape4(heads, 1, dim));
      const o = { causal: true, out, ...(window ? { window } : {}) };
      let last;
      return { run: () => (last = pe.sdpa(...args, o)), output: () => [values(last.out)], free };
    },
    // The RoPE module with its cache: the first step (untimed) grows the cache to the position; the
    // timed steps must leave it alone (cacheBuilds reports how many rows they added).
    decodeRope({ heads, dim, maxLen, position, q, k }) {
      const module = new pe.RotaryPositionalEmbedding({ dim, maxLen });
      const shape = shape4(heads, 1, dim);
      const xs = [tensor(q, shape), tensor(k, shape)];
      const outs = heap ? xs : [target(shape), target(shape)];
      const step = () => module.forward(xs[0], xs[1], { offset: position, qOut: outs[0], kOut: outs[1] });
      let last = heap ? undefined : step();
      const cached = module.cachedLen;
      if (heap) {  // warm the cache on scratch copies so the in-place tensors still hold the inputs
        const scratch = [pe.tensor(q, shape), pe.tensor(k, shape)];
        module.forward(scratch[0], scratch[1], { offset: position, qOut: scratch[0], kOut: scratch[1] });
        scratch.forEach((t) => t.delete());
      }
      const warmLen = heap ? module.cachedLen : cached;
      return {
        run: () => (last = step()),
        output: () => last.map(values),
        cacheBuilds: () => module.cachedLen - warmLen,
        free: () => (free(), module.delete()),
      };
    },
  };
}
