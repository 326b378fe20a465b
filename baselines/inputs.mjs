// K or V [1, kvHeads, len, dim] repeated to [1, heads, len, dim] (HF's repeat_kv), as native_bench.cpp's
// sdpa_gqa with repeat 1 does: what a GQA call saves.
export function repeatKv(x, kvHeads, heads, len, dim) {
  const rows = len * dim, group = heads / kvHeads, out = new Float32Array(heads * rows);
  for (let h = 0; h < heads; h++) out.set(x.subarray(Math.floor(h / group) * rows, (Math.floor(h / group) + 1) * rows), h * rows);
  return out;
}

// Deterministic benchmark inputs, reproduced bit for bit by native_bench.cpp (same hash, same scaling),
// so every implementation, native included, sees the same numbers and can be checked against one
// float64 evaluation.

// fmix32 of MurmurHash3: a well-mixed 32-bit hash of (index, stream).
function mix(i, stream) {
  let h = (i ^ Math.imul(stream, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// n values in [-1, 1), exact in float32 (23-bit fractions).
export function uniform(n, stream) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (mix(i, stream) >>> 9) * 2 ** -22 - 1;
  return out;
}

// The streams each tensor uses (native_bench.cpp uses the same numbers).
export const Stream = { q: 1, k: 2, v: 3 };

// Inputs of an op's configuration (deterministic; native_bench.cpp makes the same ones).
export function withInputs(op, cfg) {
  switch (op) {
    case 'rope': {
      const n = cfg.heads * cfg.seq * cfg.dim;
      return { ...cfg, q: uniform(n, Stream.q), k: uniform(n, Stream.k) };
    }
    case 'sdpa':
      return {
        ...cfg,
        q: uniform(cfg.heads * cfg.qLen * cfg.dim, Stream.q),
        k: uniform(cfg.heads * cfg.kLen * cfg.dim, Stream.k),
        v: uniform(cfg.heads * cfg.kLen * cfg.dim, Stream.v),
      };
    // Grouped-query attention (W5, W6): q [1, heads, qLen, dim], k and v [1, kvHeads, kLen, dim].
    case 'sdpaGqa':
    case 'sdpaDecode': {
      const qLen = cfg.len ?? 1, kLen = cfg.len ?? cfg.kLen;
      return {
        ...cfg,
        q: uniform(cfg.heads * qLen * cfg.dim, Stream.q),
        k: uniform(cfg.kvHeads * kLen * cfg.dim, Stream.k),
        v: uniform(cfg.kvHeads * kLen * cfg.dim, Stream.v),
      };
    }
    case 'decodeRope':
      return { ...cfg, q: uniform(cfg.heads * cfg.dim, Stream.q), k: uniform(cfg.heads * cfg.dim, Stream.k) };
    default:
      return { ...cfg };
  }
}

