// The benchmark's workloads (W1–W6) as common ops with their timed configuration and an accuracy
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
    case 'sdpaGqa': return [ref.sdpa(c.q, c.k, c.v, [1, c.heads, c.len, c.len, c.dim, c.dim], { kvHeads: c.kvHeads, causal: true }).out];
    case 'sdpaDecode': return [ref.sdpa(c.q, c.k, c.v, [1, c.heads, 1, c.kLen, c.dim, c.dim],
      { kvHeads: c.kvHeads, causal: true, window: c.window || null }).out];
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
    // GQA prefill: each kv head's K/V is read once per block of its group's rows; bytes as if read once.
    case 'sdpaGqa': {
      const kv = c.repeat ? c.heads : c.kvHeads;
      return { bytes: (2 * c.heads + 2 * kv) * c.len * c.dim * 4, flops: c.heads * (c.len * (c.len + 1) / 2) * 4 * c.dim };
    }
    // A decode step reads the K and V rows it can see (the window's, or all), plus q and out.
    case 'sdpaDecode': {
      const keys = c.window ? Math.min(c.window, c.kLen) : c.kLen;
      return { bytes: 2 * c.kvHeads * keys * c.dim * 4 + 2 * c.heads * c.dim * 4, flops: c.heads * keys * 4 * c.dim };
    }
    default: throw new Error(`unknown op ${op}`);
  }
}

export function workloads(quick) {
  const w2 = quick ? { heads: 2, seq: 128, dim: 128 } : { heads: 32, seq: 2048, dim: 128 };
  const w3 = quick ? { heads: 2, qLen: 128, kLen: 128, dim: 64 } : { heads: 8, qLen: 1024, kLen: 1024, dim: 64 };
  const far = quick ? 1000 : 100000;  // W4's decoding position
  const ropeCheck = { heads: 2, seq: 8, dim: 128, offset: 1000000 };
  const w5 = quick ? { heads: 8, kvHeads: 2, len: 64, dim: 32 } : { heads: 32, kvHeads: 8, len: 2048, dim: 128 };
  const w6 = quick ? { heads: 4, kvHeads: 1, dim: 32, window: 64, caches: [256, 2048], gqaKeys: 1024 }
    : { heads: 8, kvHeads: 1, dim: 128, window: 4096, caches: [8192, 131072], gqaKeys: 32768 };
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
    // W5: the same prefill with K/V at 8 kv heads (GQA) and repeated to 32, measured together.
    ...[false, true].map((repeat) => ({
      id: `W5 ${repeat ? 'repeated' : 'gqa'}`, group: 'W5', op: 'sdpaGqa', reps: quick ? 4 : 1,
      title: `GQA prefill, ${w5.heads} query heads over ${repeat ? `K/V repeated to ${w5.heads}` : `${w5.kvHeads} kv heads`}, ${w5.len} tokens, head_dim ${w5.dim}, causal`,
      cfg: { ...w5, repeat }, check: { heads: 8, kvHeads: 2, len: 40, dim: 128, repeat } })),
    // W6: one query token with a sliding window against a short and a long cache (the cost must follow
    // the window, not the cache), measured together; then a full GQA decode step against the copy ceiling.
    ...w6.caches.map((kLen) => ({
      id: `W6 window@${kLen}`, group: 'W6 window', op: 'sdpaDecode', reps: quick ? 10 : 200,
      title: `decoding: one token, ${w6.heads} heads over ${w6.kvHeads} kv head, window ${w6.window}, cache of ${kLen} keys, head_dim ${w6.dim}`,
      cfg: { heads: w6.heads, kvHeads: w6.kvHeads, kLen, dim: w6.dim, window: w6.window },
      check: { heads: 4, kvHeads: 1, kLen: 300, dim: 128, window: 100 } })),
    { id: 'W6 gqa decode', op: 'sdpaDecode', reps: quick ? 10 : 20,
      title: `decoding: one token, 32 heads over 8 kv heads, ${w6.gqaKeys} keys, head_dim 128 (K+V ${(2 * 8 * w6.gqaKeys * 128 * 4 / 2 ** 20).toFixed(0)} MiB)`,
      cfg: { heads: 32, kvHeads: 8, kLen: w6.gqaKeys, dim: 128, window: 0 }, check: { heads: 8, kvHeads: 2, kLen: 300, dim: 128, window: 0 } },
  ];
}
