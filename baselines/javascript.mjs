// The two pure-JavaScript implementations behind the benchmark's common ops (table, rope, sdpa,
// decodeRope): a runner's run() is the timed call, output() its last results.
import * as plain from './plain_js.mjs';
import * as tuned from './tuned_js.mjs';

export const plainJs = {
  name: 'plain JS',
  table: ({ start, count, d }) => {
    let out;
    return { run: () => (out = plain.sinusoidalTable(start, count, d)), output: () => [out] };
  },
  rope: ({ heads, seq, dim, layout, offset, q, k }) => {
    let out;
    const run = () => (out = [q, k].map((x) => plain.ropeForward(x, heads, seq, dim, layout, offset)));
    return { run, output: () => out };
  },
  sdpa: ({ heads, qLen, kLen, dim, q, k, v }) => {
    let out;
    return { run: () => (out = plain.sdpaAlibi(q, k, v, heads, qLen, kLen, dim)), output: () => [out] };
  },
  decodeRope: ({ heads, dim, position, q, k }) => {
    const module = new plain.Rotary(dim, position + 1);
    let out;
    return { run: () => (out = [q, k].map((x) => module.rotateToken(x, heads, position))), output: () => out };
  },
};

export const tunedJs = {
  name: 'tuned JS',
  table: ({ start, count, d }) => {
    const out = new Float32Array(count * d);
    return { run: () => tuned.sinusoidalTable(start, count, d, out), output: () => [out] };
  },
  rope: ({ heads, seq, dim, layout, offset, q, k }) => {
    const tables = new tuned.RopeTables(dim), out = [new Float32Array(q.length), new Float32Array(k.length)];
    const run = () => {
      tables.get(seq, offset);
      tuned.ropeForward(q, out[0], heads, seq, dim, layout, tables);
      tuned.ropeForward(k, out[1], heads, seq, dim, layout, tables);
    };
    return { run, output: () => out };
  },
  sdpa: ({ heads, qLen, kLen, dim, q, k, v }) => {
    const out = new Float32Array(heads * qLen * dim), scores = new Float32Array(kLen);
    return { run: () => tuned.sdpaAlibi(q, k, v, out, heads, qLen, kLen, dim, scores), output: () => [out] };
  },
  // A module-style cache of positions 0 … position (built before timing), one row per step.
  decodeRope: ({ heads, dim, position, q, k }) => {
    const cache = new tuned.RopeTables(dim).get(position + 1, 0), half = dim / 2;
    const row = { cos: null, sin: null }, out = [new Float32Array(q.length), new Float32Array(k.length)];
    const run = () => {
      row.cos = cache.cos.subarray(position * half, (position + 1) * half);
      row.sin = cache.sin.subarray(position * half, (position + 1) * half);
      tuned.ropeForward(q, out[0], heads, 1, dim, 'half', row);
      tuned.ropeForward(k, out[1], heads, 1, dim, 'half', row);
    };
    return { run, output: () => out };
  },
};
