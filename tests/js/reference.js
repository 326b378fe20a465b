// The one float64 reference of the math in JavaScript: plain loops in double precision (Math.sin/Math.cos
// reduce large arguments exactly), never calling posenc. The JS tests and the benchmark's accuracy column
// (bench/workloads.mjs, also run by the demo's Speed panel: keep it free of Node imports) check against it.
// Tensors are plain arrays (or typed arrays) of numbers in row-major order.

export const TOL = { abs: 2e-6, rel: 2e-6 }; // float32 storage: 2e-6 + 2e-6·|expected|

// ---- sinusoidal ----
export function sinusoidalTable(maxLen, d, { base = 10000, start = 0, count = maxLen - start } = {}) {
  const out = [];
  for (let p = start; p < start + count; ++p) {
    for (let i = 0; i < d / 2; ++i) {
      const w = Math.pow(base, (-2 * i) / d);
      out.push(Math.sin(p * w), Math.cos(p * w));
    }
  }
  return out;
}

// Dropout with an explicit mask.
export function dropout(x, { p = 0, train = false, keepMask = null } = {}) {
  if (!train || p === 0) return [...x];
  if (p === 1) return x.map(() => 0);
  return x.map((v, i) => (keepMask[i] ? v / (1 - p) : 0));
}

export function sinusoidalForward(x, [batch, seq, d], { offset = 0, base = 10000, ...drop } = {}) {
  const pe = sinusoidalTable(offset + seq, d, { base, start: offset, count: seq });
  const y = x.map((v, i) => v + pe[i % (seq * d)]);
  return dropout(y, drop);
}

// ---- learned ----
export function layerNorm(v, gamma, beta, eps) {
  const d = v.length;
  const mu = v.reduce((a, b) => a + b, 0) / d;
  const var_ = v.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
  return v.map((x, c) => ((x - mu) / Math.sqrt(var_ + eps)) * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0));
}

export function learnedForward(x, [batch, seq, d], table, { offset = 0, positions = null, scale = 1, useLn = false,
  gamma = null, beta = null, eps = 1e-5, ...drop } = {}) {
  const y = [];
  for (let b = 0; b < batch; ++b) {
    for (let s = 0; s < seq; ++s) {
      const pos = positions ? (positions.length === seq ? positions[s] : positions[b * seq + s]) : offset + s;
      let v = [];
      for (let c = 0; c < d; ++c) v.push(x[(b * seq + s) * d + c] + scale * table[pos * d + c]);
      if (useLn) v = layerNorm(v, gamma, beta, eps);
      y.push(...v);
    }
  }
  return dropout(y, drop);
}

const defaultQOffset = (qLen, kLen, qOffset) => qOffset ?? kLen - qLen;

export function clippedRelativeBias(table, heads, K, qLen, kLen, qOffset) {
  const q0 = defaultQOffset(qLen, kLen, qOffset);
  const out = [];
  for (let h = 0; h < heads; ++h) {
    for (let i = 0; i < qLen; ++i) {
      for (let j = 0; j < kLen; ++j) {
        const r = Math.min(Math.max(j - (q0 + i), -K), K) + K;
        out.push(table[r * heads + h]);
      }
    }
  }
  return out;
}

// ---- RoPE ----
export function ropeParams(d, { base = 10000, scaling = null, maxPositionEmbeddings, seqLen } = {}) {
  const half = d / 2;
  const f = Array.from({ length: half }, (_, j) => Math.pow(base, (2 * j) / d));
  const inv = f.map((x) => 1 / x);
  const s = scaling ?? {};
  const type = s.rope_type ?? s.type ?? 'default';
  const mpe = maxPositionEmbeddings;
  if (type === 'default') return { invFreq: inv, attentionFactor: 1 };
  if (type === 'linear') return { invFreq: inv.map((x) => x / s.factor), attentionFactor: 1 };
  if (type === 'dynamic') {
    const L = Math.max(seqLen ?? mpe, mpe);
    const b2 = base * Math.pow((s.factor * L) / mpe - (s.factor - 1), d / (d - 2));
    return { invFreq: Array.from({ length: half }, (_, j) => 1 / Math.pow(b2, (2 * j) / d)), attentionFactor: 1 };
  }
  if (type === 'yarn') {
    const L0 = s.original_max_position_embeddings ?? mpe;
    const factor = s.factor ?? mpe / L0;
    const c = (r) => (d * Math.log(L0 / (2 * Math.PI * r))) / (2 * Math.log(base));
    let lo = c(s.beta_fast ?? 32);
    let hi = c(s.beta_slow ?? 1);
    if (s.truncate ?? true) {
      lo = Math.floor(lo);
      hi = Math.ceil(hi);
    }
    lo = Math.max(lo, 0);
    hi = Math.min(hi, d - 1);
    if (lo === hi) hi += 0.001;
    const g = (sc, m) => (sc <= 1 ? 1 : 0.1 * m * Math.log(sc) + 1);
    let a = s.attention_factor;
    if (a === undefined) a = s.mscale && s.mscale_all_dim ? g(factor, s.mscale) / g(factor, s.mscale_all_dim) : g(factor, 1);
    const invFreq = inv.map((x, j) => {
      const ramp = Math.min(Math.max((j - lo) / (hi - lo), 0), 1);
      return x * (1 - ramp + ramp / factor);
    });
    return { invFreq, attentionFactor: a };
  }
  if (type === 'llama3') {
    const factor = s.factor ?? 8;
    const low = s.low_freq_factor ?? 1;
    const high = s.high_freq_factor ?? 4;
    const L0 = s.original_max_position_embeddings ?? 8192;
    const invFreq = inv.map((x) => {
      const lambda = (2 * Math.PI) / x;
      if (lambda < L0 / high) return x;
      if (lambda > L0 / low) return x / factor;
      const sigma = (L0 / lambda - low) / (high - low);
      return x * ((1 - sigma) / factor + sigma);
    });
    return { invFreq, attentionFactor: 1 };
  }
  if (type === 'longrope') {
    const L0 = s.original_max_position_embeddings ?? mpe;
    const factor = s.factor ?? mpe / L0;
    const a = s.attention_factor ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(L0)));
    const ext = seqLen !== undefined && seqLen > L0 ? s.long_factor : s.short_factor;
    return { invFreq: f.map((x, j) => 1 / (ext[j] * x)), attentionFactor: a };
  }
  throw new Error(`reference: unknown rope type ${type}`);
}

// Pair members of pair j for a layout.
const pairIndex = (layout, j, dRot) => (layout === 'interleaved' ? [2 * j, 2 * j + 1] : [j, j + dRot / 2]);

// Rotates one head row of x (headDim values) at position p; scale(j) multiplies pair j.
export function rotateRow(row, dRot, layout, invFreq, p, scale, inverse) {
  const y = [...row];
  for (let j = 0; j < dRot / 2; ++j) {
    const [a, b] = pairIndex(layout, j, dRot);
    const t = p * invFreq[j];
    const c = Math.cos(t), s = Math.sin(t), k = scale(j);
    const u = row[a], v = row[b];
    if (inverse) {
      y[a] = (u * c + v * s) / k;
      y[b] = (-u * s + v * c) / k;
    } else {
      y[a] = k * (u * c - v * s);
      y[b] = k * (u * s + v * c);
    }
  }
  return y;
}

export function positionOf(positions, offset, b, s, seq) {
  if (!positions) return offset + s;
  return positions.length === seq ? positions[s] : positions[b * seq + s];
}

export function ropeForward(x, [batch, heads, seq, headDim], { dRot = headDim, base = 10000, layout = 'half',
  positions = null, offset = 0, inverse = false, scaling = null, maxPositionEmbeddings, seqLen } = {}) {
  const maxPos = positions ? Math.max(...positions) : offset + seq - 1;
  const { invFreq, attentionFactor } = ropeParams(dRot, { base, scaling, maxPositionEmbeddings, seqLen: seqLen ?? maxPos + 1 });
  const out = [];
  for (let b = 0; b < batch; ++b) {
    for (let h = 0; h < heads; ++h) {
      for (let s = 0; s < seq; ++s) {
        const at = ((b * heads + h) * seq + s) * headDim;
        const p = positionOf(positions, offset, b, s, seq);
        out.push(...rotateRow(x.slice(at, at + headDim), dRot, layout, invFreq, p, () => attentionFactor, inverse));
      }
    }
  }
  return out;
}

// ---- xPos ----
export function xposApply(x, [batch, heads, seq, d], { role = 'q', positions = null, offset = 0, base = 10000,
  gamma = 0.4, scaleBase = 512, center = 0, layout = 'interleaved' } = {}) {
  const { invFreq } = ropeParams(d, { base });
  const zeta = Array.from({ length: d / 2 }, (_, j) => ((2 * j) / d + gamma) / (1 + gamma));
  const sign = role === 'q' ? 1 : -1;
  const out = [];
  for (let b = 0; b < batch; ++b) {
    for (let h = 0; h < heads; ++h) {
      for (let s = 0; s < seq; ++s) {
        const at = ((b * heads + h) * seq + s) * d;
        const n = positionOf(positions, offset, b, s, seq);
        const scale = (j) => Math.pow(zeta[j], (sign * (n - center)) / scaleBase);
        out.push(...rotateRow(x.slice(at, at + d), d, layout, invFreq, n, scale, false));
      }
    }
  }
  return out;
}

// ---- ALiBi: the authors' get_slopes ----
export function alibiSlopes(n) {
  const pow2 = (m) => {
    const start = Math.pow(2, -Math.pow(2, -(Math.log2(m) - 3)));
    return Array.from({ length: m }, (_, i) => start * Math.pow(start, i));
  };
  if (Number.isInteger(Math.log2(n))) return pow2(n);
  const c = Math.pow(2, Math.floor(Math.log2(n)));
  return [...pow2(c), ...pow2(2 * c).filter((_, i) => i % 2 === 0).slice(0, n - c)];
}

export function alibiTerm(mode, m, qi, j) {
  if (mode === 'causal') return -m * (qi - j);
  if (mode === 'symmetric') return -m * Math.abs(qi - j);
  return m * j; // key_only
}

export function alibiBias(heads, qLen, kLen, { qOffset, mode = 'causal', slopes = alibiSlopes(heads) } = {}) {
  const q0 = defaultQOffset(qLen, kLen, qOffset);
  const out = [];
  for (let h = 0; h < heads; ++h) {
    for (let i = 0; i < qLen; ++i) for (let j = 0; j < kLen; ++j) out.push(alibiTerm(mode, slopes[h], q0 + i, j));
  }
  return out;
}

// ---- T5 ----
export function t5Bucket(rp, { bidirectional = true, numBuckets = 32, maxDistance = 128 } = {}) {
  let nb = numBuckets, baseB = 0, n;
  if (bidirectional) {
    nb = Math.floor(numBuckets / 2);
    baseB = rp > 0 ? nb : 0;
    n = Math.abs(rp);
  } else {
    n = Math.max(-rp, 0);
  }
  const e = Math.floor(nb / 2);
  if (n < e) return baseB + n;
  return baseB + Math.min(nb - 1, e + Math.trunc((Math.log(n / e) / Math.log(maxDistance / e)) * (nb - e)));
}

export function t5Bias(table, heads, qLen, kLen, { qOffset, bidirectional = true, maxDistance = 128 } = {}) {
  const numBuckets = table.length / heads;
  const q0 = defaultQOffset(qLen, kLen, qOffset);
  const out = [];
  for (let h = 0; h < heads; ++h) {
    for (let i = 0; i < qLen; ++i) {
      for (let j = 0; j < kLen; ++j) out.push(table[t5Bucket(j - (q0 + i), { bidirectional, numBuckets, maxDistance }) * heads + h]);
    }
  }
  return out;
}

// ---- attention ----
// Scaled dot-product attention in float64, written from the upstream formulas:
// - grouped-query heads: Hugging Face's repeat_kv (query head h reads kv head floor(h / (H / Hkv))) and
//   eager_attention_forward (scores = q·kᵀ·scaling + mask, softmax, · v);
// - window: HF's sliding_window_overlay (key j visible to the query at position p iff p − W < j ≤ p);
// - chunkSize: HF's chunked_overlay for Llama 4 (same chunk, counted after the row's left padding);
// - queryTemperature: Llama 4's NoPE layers (q · (log1p(floor((p + 1) / floorScale)) · attnScale + 1));
// - sinks: GPT-OSS's sink logit per head, concatenated to the scores for the softmax and then dropped;
// - softcap: Gemma 2's cap · tanh(s / cap) on the scaled scores, before the mask is added.
// keyPadding [B·K] (1 = real), mask {data, shape: 4 dims, keep} broadcast over [B, H, Q, K]. A row with
// no visible key gives zeros (HF's eager path would give uniform weights).
export function sdpa(q, k, v, [B, H, Q, K, D, Dv], { bias = null, biasHasBatch = false, alibi = null, slopes = null,
  causal = false, qOffset, scale = 1 / Math.sqrt(D), kvHeads = H, keyPadding = null, mask = null, window = null,
  chunkSize = null, sinks = null, queryTemperature = null, softcap = null } = {}) {
  const q0 = defaultQOffset(Q, K, qOffset);
  const m = slopes ?? (alibi ? alibiSlopes(H) : null);
  const group = H / kvHeads;
  const out = [], probs = [];
  const maskAt = (b, h, i, j) => {
    const [s0, s1, s2, s3] = mask.shape;
    const idx = (((s0 === 1 ? 0 : b) * s1 + (s1 === 1 ? 0 : h)) * s2 + (s2 === 1 ? 0 : i)) * s3 + (s3 === 1 ? 0 : j);
    return mask.data[idx];
  };
  for (let b = 0; b < B; ++b) {
    let leftPad = 0;
    while (keyPadding && leftPad < K && !keyPadding[b * K + leftPad]) ++leftPad;
    if (leftPad === K) leftPad = 0;
    for (let h = 0; h < H; ++h) {
      const g = Math.floor(h / group); // repeat_kv
      for (let i = 0; i < Q; ++i) {
        const pos = q0 + i;
        const temp = queryTemperature
          ? Math.log1p(Math.floor((pos + 1) / queryTemperature.floorScale)) * queryTemperature.attnScale + 1 : 1;
        const s = [];
        for (let j = 0; j < K; ++j) {
          let visible = true;
          if ((causal || window !== null) && j > pos) visible = false;
          if (window !== null && !(pos - window < j)) visible = false;
          if (chunkSize !== null && Math.floor((j - leftPad) / chunkSize) !== Math.floor((pos - leftPad) / chunkSize)) visible = false;
          if (keyPadding && !keyPadding[b * K + j]) visible = false;
          if (mask && mask.keep && !maskAt(b, h, i, j)) visible = false;
          if (!visible) {
            s.push(-Infinity);
            continue;
          }
          let dot = 0;
          const qAt = ((b * H + h) * Q + i) * D, kAt = ((b * kvHeads + g) * K + j) * D;
          for (let c = 0; c < D; ++c) dot += temp * q[qAt + c] * k[kAt + c];
          let v_ = scale * dot;
          if (softcap !== null) v_ = softcap * Math.tanh(v_ / softcap);
          if (bias) v_ += bias[(((biasHasBatch ? b * H : 0) + h) * Q + i) * K + j];
          if (m) v_ += alibiTerm(alibi ?? 'causal', m[h], pos, j);
          if (mask && !mask.keep) v_ += maskAt(b, h, i, j);
          s.push(v_);
        }
        const sink = sinks ? sinks[h] : -Infinity;
        let max = sink;
        for (const x of s) if (Number.isFinite(x) && x > max) max = x;
        const anyVisible = s.some((x) => Number.isFinite(x));
        const w = anyVisible ? s.map((x) => (Number.isFinite(x) ? Math.exp(x - max) : 0)) : s.map(() => 0);
        const sum = w.reduce((a, c) => a + c, 0) + (anyVisible && sinks ? Math.exp(sink - max) : 0);
        const p = sum > 0 ? w.map((x) => x / sum) : w;
        probs.push(...p);
        const acc = new Array(Dv).fill(0);
        for (let j = 0; j < K; ++j) {
          if (!p[j]) continue;
          const at = ((b * kvHeads + g) * K + j) * Dv;
          for (let c = 0; c < Dv; ++c) acc[c] += p[j] * v[at + c];
        }
        out.push(...acc);
      }
    }
  }
  return { out, probs };
}

// ---- helpers ----
// Max |got − exp| and whether every element is within TOL.
export function compare(got, exp) {
  if (got.length !== exp.length) return { maxAbs: Infinity, withinSpec: false };
  let maxAbs = 0, within = true;
  for (let i = 0; i < exp.length; i++) {
    const err = Math.abs(got[i] - exp[i]);
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Infinity : err;
    if (!(err <= TOL.abs + TOL.rel * Math.abs(exp[i]))) within = false;
  }
  return { maxAbs, withinSpec: within };
}

// A deterministic pseudo-random float array in [-1, 1).
export function randomFloats(n, seed = 1) {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 4294967296) * 2 - 1;
  }
  return out;
}
