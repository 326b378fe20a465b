// The benchmark's workloads (W1–W4) as common ops with their timed configuration and an accuracy
// configuration (far positions where float32 angles fail), plus the float64 expected values.
import * as ref from '../tests/js/reference.js';

const bytesOf = (...arrays) => arrays.reduce((s, a) => s + a.length * 4, 0);

// The float64 values an op's outputs must match.
export function expected(op, c) {
  const rope = (x, seq, layout, offset) => ref.ropeForward(x, [1, c.heads, seq, c.dim], { layout, offset });
  switch (op) {
    case 'table': return [ref.sinusoidalTable(c.start + c.count, c.d, { start: c.start, count: c.count })];
    case 'rope': return [c.q, c.k].map((x) => rope(x, c.seq, c.layout, c.offset));
    case 'sdpa': return [ref.sdpa(c.q, c.k, c.v, [1, c.heads, c.qLen, c.kLen, c.dim, c.dim], { alibi: 'causal', causal: true }).out];
    case 'decodeRope': return [c.q, c.k].map((x) => rope(x, 1, 'half', c.position));
    default: throw new Error(`unknown op ${op}`);
  }
}

// Bytes an op reads and writes once (what a memory copy of the same data moves), and for attention
// the flops actually executed: q·kᵀ and p·v over the causal (unmasked) part only.
export function traffic(op, c) {
  switch (op) {
    case 'table': return { bytes: c.count * c.d * 4 };
    case 'rope': return { bytes: bytesOf(c.q, c.k) };
    case 'decodeRope': return { bytes: bytesOf(c.q, c.k) };
    case 'sdpa': {
      let pairs = 0;
      for (let i = 0; i < c.qLen; i++) pairs += Math.min(c.kLen, c.kLen - c.qLen + i + 1);
      return { bytes: bytesOf(c.q, c.k, c.v) + c.heads * c.qLen * c.dim * 4, flops: c.heads * pairs * 4 * c.dim };
    }
    default: throw new Error(`unknown op ${op}`);
  }
}

export function workloads(quick) {
  const w2 = quick ? { heads: 2, seq: 128, dim: 128 } : { heads: 32, seq: 2048, dim: 128 };
  const w3 = quick ? { heads: 2, qLen: 128, kLen: 128, dim: 64 } : { heads: 8, qLen: 1024, kLen: 1024, dim: 64 };
  const far = quick ? 1000 : 100000;  // W4's decoding position
  const ropeCheck = { heads: 2, seq: 8, dim: 128, offset: 1000000 };
  return [
    { id: 'W1', title: `sinusoidal table ${quick ? '256x128' : '4096x1024'}`, op: 'table',
      cfg: quick ? { start: 0, count: 256, d: 128 } : { start: 0, count: 4096, d: 1024 },
      check: { start: 1000000, count: 8, d: 1024 } },
    ...['half', 'interleaved'].map((layout) => ({
      id: `W2 ${layout}`, title: `RoPE ${layout}, q and k [1,${w2.heads},${w2.seq},${w2.dim}]`, op: 'rope',
      cfg: { ...w2, layout, offset: 0 }, check: { ...ropeCheck, layout } })),
    // reps: up to ~20 ms per sample for the fastest implementation too (at 400, a 3 ms sample of the SIMD
    // build carried the cache refill after the other implementations' samples: +10% per call).
    { id: 'W2 hot', title: 'RoPE half, q and k [1,4,64,128] (in cache)', op: 'rope', reps: 4000,
      cfg: { heads: 4, seq: 64, dim: 128, layout: 'half', offset: 0 }, check: { ...ropeCheck, layout: 'half' } },
    { id: 'W3', title: `causal ALiBi attention, ${w3.heads} heads, ${w3.qLen} tokens, head_dim ${w3.dim}`, op: 'sdpa',
      cfg: w3, check: { heads: 2, qLen: 96, kLen: 96, dim: 64 } },
    ...[100, far].map((position) => ({
      id: `W4 rope@${position}`, title: `decoding: RoPE module, one token 32x128 at position ${position}`,
      op: 'decodeRope', group: 'W4 rope', reps: quick ? 100 : 1000, cfg: { heads: 32, dim: 128, maxLen: 2048, position },
      check: { heads: 32, dim: 128, maxLen: 2048, position } })),
    { id: 'W4 attn row', title: `decoding: one ALiBi attention row over ${far + 1} keys, head_dim 128`, op: 'sdpa',
      reps: quick ? 10 : 1, cfg: { heads: 1, qLen: 1, kLen: far + 1, dim: 128 },
      check: { heads: 1, qLen: 1, kLen: far + 1, dim: 128 } },
  ];
}
