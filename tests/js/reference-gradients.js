// The float64 reference of the gradients: each backward written out by hand (the transposed rotations,
// scatter-adds, LayerNorm's and attention's chain rule), and central finite differences of the float64
// forwards (reference.js) to check those against. Plain loops, never calling posenc.
import * as ref from './reference.js';

// Σ_i dy_i·f(x)_i differentiated at x by central differences: one gradient entry per entry of x.
export function finiteDifference(f, x, dy, h = 1e-5) {
  const at = Array.from(x), g = new Float64Array(at.length);
  const dot = (y) => y.reduce((a, v, i) => a + v * dy[i], 0);
  for (let i = 0; i < at.length; ++i) {
    const v = at[i];
    at[i] = v + h;
    const up = dot(f(at));
    at[i] = v - h;
    const down = dot(f(at));
    at[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// ---- RoPE and xPos: the transposed rotation of each row ----
export function ropeBackward(dy, [batch, heads, seq, headDim], { dRot = headDim, base = 10000, layout = 'half',
  positions = null, offset = 0, inverse = false, scaling = null, maxPositionEmbeddings, seqLen } = {}) {
  const maxPos = positions ? Math.max(...positions) : offset + seq - 1;
  const { invFreq, attentionFactor: a } = ref.ropeParams(dRot, { base, scaling, maxPositionEmbeddings, seqLen: seqLen ?? maxPos + 1 });
  const dx = [];
  for (let b = 0; b < batch; ++b) {
    for (let h = 0; h < heads; ++h) {
      for (let s = 0; s < seq; ++s) {
        const at = ((b * heads + h) * seq + s) * headDim;
        const p = ref.positionOf(positions, offset, b, s, seq);
        // forward a·R(θ) → a·R(−θ); forward R(−θ)/a → R(θ)/a
        dx.push(...ref.rotateRow(Array.from(dy.slice(at, at + headDim)), dRot, layout, invFreq, p, () => (inverse ? a : 1 / a), !inverse));
      }
    }
  }
  return dx;
}

export function xposBackward(dy, [batch, heads, seq, d], { role = 'q', positions = null, offset = 0, base = 10000,
  gamma = 0.4, scaleBase = 512, center = 0, layout = 'interleaved' } = {}) {
  const { invFreq } = ref.ropeParams(d, { base });
  const zeta = Array.from({ length: d / 2 }, (_, j) => ((2 * j) / d + gamma) / (1 + gamma));
  const sign = role === 'q' ? 1 : -1;
  const dx = [];
  for (let b = 0; b < batch; ++b) {
    for (let h = 0; h < heads; ++h) {
      for (let s = 0; s < seq; ++s) {
        const at = ((b * heads + h) * seq + s) * d;
        const n = ref.positionOf(positions, offset, b, s, seq);
        const inverseScale = (j) => 1 / Math.pow(zeta[j], (sign * (n - center)) / scaleBase);
        dx.push(...ref.rotateRow(Array.from(dy.slice(at, at + d)), d, layout, invFreq, n, inverseScale, true));
      }
    }
  }
  return dx;
}

// ---- LayerNorm over the last axis ----
export function layerNormBackward(dy, x, rows, d, gamma = null, eps = 1e-5) {
  const dx = new Array(rows * d).fill(0), dGamma = new Array(d).fill(0), dBeta = new Array(d).fill(0);
  for (let r = 0; r < rows; ++r) {
    const v = Array.from(x.slice(r * d, (r + 1) * d)), g = Array.from(dy.slice(r * d, (r + 1) * d));
    const mu = v.reduce((a, b) => a + b, 0) / d;
    const rstd = 1 / Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / d + eps);
    const xhat = v.map((t) => (t - mu) * rstd);
    const gh = g.map((t, c) => t * (gamma ? gamma[c] : 1));
    const meanG = gh.reduce((a, b) => a + b, 0) / d;
    const meanGx = gh.reduce((a, t, c) => a + t * xhat[c], 0) / d;
    for (let c = 0; c < d; ++c) {
      dx[r * d + c] = rstd * (gh[c] - meanG - xhat[c] * meanGx);
      dGamma[c] += g[c] * xhat[c];
      dBeta[c] += g[c];
    }
  }
  return { dx, dGamma, dBeta };
}

// ---- dropout ----
export function dropoutBackward(dy, { p = 0, keepMask }) {
  return Array.from(dy, (g, i) => (p === 1 ? 0 : keepMask[i] ? g / (1 - p) : 0));
}

// ---- learned absolute embedding ----
export function learnedBackward(dy, [batch, seq, d], x, table, { offset = 0, positions = null, scale = 1, useLn = false,
  gamma = null, beta = null, eps = 1e-5, p = 0, train = false, keepMask = null } = {}) {
  let g = train && p > 0 ? dropoutBackward(dy, { p, keepMask }) : Array.from(dy);
  const dTable = new Array(table.length).fill(0);
  let dGamma = null, dBeta = null;
  if (useLn) {
    const v = [];
    for (let b = 0; b < batch; ++b) {
      for (let s = 0; s < seq; ++s) {
        const pos = ref.positionOf(positions, offset, b, s, seq);
        for (let c = 0; c < d; ++c) v.push(x[(b * seq + s) * d + c] + scale * table[pos * d + c]);
      }
    }
    ({ dx: g, dGamma, dBeta } = layerNormBackward(g, v, batch * seq, d, gamma, eps));
  }
  for (let b = 0; b < batch; ++b) {
    for (let s = 0; s < seq; ++s) {
      const pos = ref.positionOf(positions, offset, b, s, seq);
      for (let c = 0; c < d; ++c) dTable[pos * d + c] += scale * g[(b * seq + s) * d + c];
    }
  }
  return { dx: g, dTable, dGamma, dBeta };
}

// ---- relative biases: scatter-adds into the table ----
function biasBackward(dBias, heads, qLen, kLen, qOffset, rows, rowOf) {
  const q0 = qOffset ?? kLen - qLen;
  const dTable = new Array(rows * heads).fill(0);
  const B = dBias.length / (heads * qLen * kLen);
  for (let b = 0; b < B; ++b) {
    for (let h = 0; h < heads; ++h) {
      for (let i = 0; i < qLen; ++i) {
        for (let j = 0; j < kLen; ++j) dTable[rowOf(j - (q0 + i)) * heads + h] += dBias[((b * heads + h) * qLen + i) * kLen + j];
      }
    }
  }
  return dTable;
}
export const clippedRelativeBiasBackward = (dBias, heads, K, qLen, kLen, qOffset) =>
  biasBackward(dBias, heads, qLen, kLen, qOffset, 2 * K + 1, (r) => Math.min(Math.max(r, -K), K) + K);
export const t5BiasBackward = (dBias, heads, qLen, kLen, { qOffset, numBuckets = 32, bidirectional = true, maxDistance = 128 } = {}) =>
  biasBackward(dBias, heads, qLen, kLen, qOffset, numBuckets, (r) => ref.t5Bucket(r, { bidirectional, numBuckets, maxDistance }));

// ---- attention with grouped kv heads and sink logits ----
// Per (b, h, i): the logits s_j and the softmax p_j (and p_sink, the sink's share of the denominator).
function attentionRows(q, k, [B, H, Hkv, Q, K, D], { bias, biasHasBatch, alibi, slopes, causal, qOffset, scale = 1 / Math.sqrt(D), sinks }, visit) {
  const q0 = qOffset ?? K - Q;
  const m = slopes ?? (alibi ? ref.alibiSlopes(H) : null);
  const group = H / Hkv;
  for (let b = 0; b < B; ++b) {
    for (let h = 0; h < H; ++h) {
      const kh = Math.floor(h / group);
      for (let i = 0; i < Q; ++i) {
        const s = [];
        for (let j = 0; j < K; ++j) {
          let dot = 0;
          for (let c = 0; c < D; ++c) dot += q[((b * H + h) * Q + i) * D + c] * k[((b * Hkv + kh) * K + j) * D + c];
          let v = scale * dot;
          if (bias) v += bias[(((biasHasBatch ? b * H : 0) + h) * Q + i) * K + j];
          if (m) v += ref.alibiTerm(typeof alibi === 'string' ? alibi : 'causal', m[h], q0 + i, j);
          if (causal && j > q0 + i) v = -Infinity;
          s.push(v);
        }
        const sink = sinks ? sinks[h] : -Infinity;
        const max = Math.max(sink, ...s.filter(Number.isFinite));
        const w = s.map((x) => (Number.isFinite(x) ? Math.exp(x - max) : 0));
        const ws = Number.isFinite(sink) ? Math.exp(sink - max) : 0;
        const sum = w.reduce((a, c) => a + c, 0) + ws;
        visit(b, h, kh, i, w.map((x) => x / sum), ws / sum);
      }
    }
  }
}

export function sdpa(q, k, v, dims, opts = {}) {
  const [B, H, , Q, , , Dv] = dims;
  const Hkv = dims[2], K = dims[4];
  const out = new Array(B * H * Q * Dv).fill(0);
  attentionRows(q, k, dims, opts, (b, h, kh, i, p) => {
    for (let c = 0; c < Dv; ++c) {
      let acc = 0;
      for (let j = 0; j < K; ++j) acc += p[j] * v[((b * Hkv + kh) * K + j) * Dv + c];
      out[((b * H + h) * Q + i) * Dv + c] = acc;
    }
  });
  return out;
}

// dims: [B, H, Hkv, Q, K, D, Dv].
export function sdpaBackward(q, k, v, dOut, dims, opts = {}) {
  const [B, H, Hkv, Q, K, D, Dv] = dims;
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const dq = new Array(q.length).fill(0), dk = new Array(k.length).fill(0), dv = new Array(v.length).fill(0);
  const dBias = opts.bias ? new Array(opts.bias.length).fill(0) : null;
  const dSinks = opts.sinks ? new Array(H).fill(0) : null;
  attentionRows(q, k, [B, H, Hkv, Q, K, D], opts, (b, h, kh, i, p, pSink) => {
    const go = (c) => dOut[((b * H + h) * Q + i) * Dv + c];
    const dp = p.map((_, j) => {
      let acc = 0;
      for (let c = 0; c < Dv; ++c) acc += go(c) * v[((b * Hkv + kh) * K + j) * Dv + c];
      return acc;
    });
    const Di = p.reduce((a, pj, j) => a + pj * dp[j], 0);
    for (let j = 0; j < K; ++j) {
      for (let c = 0; c < Dv; ++c) dv[((b * Hkv + kh) * K + j) * Dv + c] += p[j] * go(c);
      const ds = p[j] * (dp[j] - Di);
      for (let c = 0; c < D; ++c) {
        dq[((b * H + h) * Q + i) * D + c] += scale * ds * k[((b * Hkv + kh) * K + j) * D + c];
        dk[((b * Hkv + kh) * K + j) * D + c] += scale * ds * q[((b * H + h) * Q + i) * D + c];
      }
      if (dBias) dBias[(((opts.biasHasBatch ? b * H : 0) + h) * Q + i) * K + j] += ds;
    }
    if (dSinks) dSinks[h] += -pSink * Di;
  });
  return { dq, dk, dv, dBias, dSinks };
}
