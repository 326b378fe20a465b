// DEVELOPMENT ONLY: a plain-JS stand-in for the posenc package with DESIGN.md's signatures, used while the
// real package is not on this branch (POSENC_STANDIN=1). Never part of the demo's build.
const fail = (code, message) => { const e = new Error(message); e.code = code; throw e; };
const tensor = (data, shape) => ({ data, shape });
const int = (v) => Number.isInteger(v);

function sinusoidalTable(maxLen, d, { base = 10000, start = 0, count = maxLen - start } = {}) {
  if (!int(d) || d <= 0) fail('BAD_SIZE', `d must be a positive integer, got ${d}`);
  if (d % 2) fail('ODD_DIM', `d must be even, got ${d}`);
  if (!(base > 1)) fail('OUT_OF_RANGE', `base must be > 1, got ${base}`);
  if (start + count > maxLen) fail('BAD_POSITION', `start + count must be <= maxLen`);
  const out = new Float32Array(count * d);
  for (let r = 0; r < count; r++) for (let i = 0; i < d / 2; i++) {
    const a = (start + r) * base ** (-2 * i / d);
    out[r * d + 2 * i] = Math.sin(a); out[r * d + 2 * i + 1] = Math.cos(a);
  }
  return tensor(out, [count, d]);
}

function rng(seed) { let s = (seed >>> 0) || 1; return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; }; }
function dropout(x, { p = 0.1, train = false, keepMask, seed = 0 } = {}) {
  if (!(p >= 0 && p <= 1)) fail('OUT_OF_RANGE', `p must be in [0, 1], got ${p}`);
  const out = Float32Array.from(x.data);
  if (!train || p === 0) return tensor(out, x.shape);
  const r = rng(seed + 1);
  for (let i = 0; i < out.length; i++) { const keep = keepMask ? keepMask[i] : r() >= p; out[i] = p === 1 ? 0 : keep ? out[i] / (1 - p) : 0; }
  return tensor(out, x.shape);
}

function sinusoidalForward(x, { maxLen = 5000, offset = 0, base = 10000, p = 0.1, train = false, keepMask, seed } = {}) {
  const [b, s, d] = x.shape;
  if (offset + s > maxLen) fail('BAD_POSITION', `offset + seq must be <= maxLen ${maxLen}, got ${offset + s}`);
  const t = sinusoidalTable(maxLen, d, { base, start: offset, count: s }).data;
  const y = new Float32Array(x.data.length);
  for (let i = 0; i < b * s * d; i++) y[i] = x.data[i] + t[i % (s * d)];
  return dropout(tensor(y, x.shape), { p, train, keepMask, seed });
}

function learnedForward(x, table, { offset = 0, positions, scale = 1, useLn = false, eps = 1e-5, p = 0, train = false, keepMask, seed } = {}) {
  const [b, s, d] = x.shape, [maxLen, td] = table.shape;
  if (td !== d) fail('SHAPE_MISMATCH', `table width must equal d ${d}, got ${td}`);
  const y = new Float32Array(x.data.length);
  for (let bi = 0; bi < b; bi++) for (let si = 0; si < s; si++) {
    const pos = positions ? positions[si] : offset + si;
    if (pos >= maxLen) fail('BAD_POSITION', `position ${pos} must be < maxLen ${maxLen}`);
    const row = (bi * s + si) * d;
    for (let c = 0; c < d; c++) y[row + c] = x.data[row + c] + scale * table.data[pos * d + c];
    if (useLn) {
      let mu = 0; for (let c = 0; c < d; c++) mu += y[row + c]; mu /= d;
      let v = 0; for (let c = 0; c < d; c++) v += (y[row + c] - mu) ** 2; v /= d;
      for (let c = 0; c < d; c++) y[row + c] = (y[row + c] - mu) / Math.sqrt(v + eps);
    }
  }
  return dropout(tensor(y, x.shape), { p, train, keepMask, seed });
}

function clippedRelativeBias(table, { numHeads, maxDistance, qLen, kLen, qOffset = kLen - qLen }) {
  if (!(numHeads > 0)) fail('BAD_HEADS', `numHeads must be a positive integer, got ${numHeads}`);
  const out = new Float32Array(numHeads * qLen * kLen), K = maxDistance;
  for (let h = 0; h < numHeads; h++) for (let i = 0; i < qLen; i++) for (let j = 0; j < kLen; j++) {
    const r = Math.min(K, Math.max(-K, j - (qOffset + i))) + K;
    out[(h * qLen + i) * kLen + j] = table.data[r * numHeads + h];
  }
  return tensor(out, [numHeads, qLen, kLen]);
}

function ropeParams(dRot, { base = 10000, scaling = null, maxPositionEmbeddings, seqLen } = {}) {
  if (!int(dRot) || dRot <= 0) fail('BAD_SIZE', `dRot must be a positive integer, got ${dRot}`);
  if (dRot % 2) fail('ODD_DIM', `dRot must be even, got ${dRot}`);
  const half = dRot / 2, inv = new Float64Array(half);
  for (let j = 0; j < half; j++) inv[j] = 1 / base ** (2 * j / dRot);
  const sc = scaling ?? {};
  const type = sc.rope_type ?? sc.type ?? 'default';
  const mpe = maxPositionEmbeddings ?? 2048;
  let a = 1;
  if (sc.factor !== undefined && !(sc.factor >= 1)) fail('OUT_OF_RANGE', `factor must be >= 1, got ${sc.factor}`);
  if (type === 'default') { /* nothing */ } else if (type === 'linear') {
    for (let j = 0; j < half; j++) inv[j] /= sc.factor;
  } else if (type === 'dynamic') {
    const L = Math.max(seqLen ?? mpe, mpe), f = sc.factor;
    const b2 = base * (f * L / mpe - (f - 1)) ** (dRot / (dRot - 2));
    for (let j = 0; j < half; j++) inv[j] = 1 / b2 ** (2 * j / dRot);
  } else if (type === 'yarn') {
    const L0 = sc.original_max_position_embeddings ?? mpe, s = sc.factor ?? mpe / L0;
    const bf = sc.beta_fast ?? 32, bs = sc.beta_slow ?? 1;
    const c = (r) => dRot * Math.log(L0 / (2 * Math.PI * r)) / (2 * Math.log(base));
    let lo = c(bf), hi = c(bs);
    if (sc.truncate ?? true) { lo = Math.floor(lo); hi = Math.ceil(hi); }
    lo = Math.max(lo, 0); hi = Math.min(hi, dRot - 1); if (lo === hi) hi += 0.001;
    for (let j = 0; j < half; j++) { const r = Math.min(1, Math.max(0, (j - lo) / (hi - lo))); inv[j] *= (1 - r) + r / s; }
    const g = (x, m) => (x <= 1 ? 1 : 0.1 * m * Math.log(x) + 1);
    a = sc.attention_factor ?? (sc.mscale && sc.mscale_all_dim ? g(s, sc.mscale) / g(s, sc.mscale_all_dim) : g(s, 1));
  } else if (type === 'llama3') {
    const f = sc.factor ?? 8, low = sc.low_freq_factor ?? 1, high = sc.high_freq_factor ?? 4, L0 = sc.original_max_position_embeddings ?? 8192;
    if (!(f >= 1)) fail('OUT_OF_RANGE', `factor must be >= 1, got ${f}`);
    for (let j = 0; j < half; j++) {
      const lam = 2 * Math.PI / inv[j];
      if (lam < L0 / high) continue;
      if (lam > L0 / low) { inv[j] /= f; continue; }
      const s = (L0 / lam - low) / (high - low);
      inv[j] = inv[j] * ((1 - s) / f + s);
    }
  } else if (type === 'longrope') {
    const L0 = sc.original_max_position_embeddings ?? mpe, s = sc.factor ?? mpe / L0;
    const ext = (seqLen ?? 1) > L0 ? sc.long_factor : sc.short_factor;
    if (!ext || ext.length !== half) fail('SHAPE_MISMATCH', `long_factor/short_factor must have dRot/2 = ${half} entries`);
    for (let j = 0; j < half; j++) inv[j] /= ext[j];
    a = sc.attention_factor ?? (s <= 1 ? 1 : Math.sqrt(1 + Math.log(s) / Math.log(L0)));
  } else fail('OUT_OF_RANGE', `rope_type must be one of default, linear, dynamic, yarn, llama3, longrope, got "${type}"`);
  return { invFreq: Float32Array.from(inv), attentionFactor: a };
}

function ropeForward(x, { dRot, base = 10000, layout = 'half', positions, offset = 0, inverse = false, scaling, maxPositionEmbeddings, seqLen } = {}) {
  const [B, H, S, D] = x.shape;
  dRot ??= D;
  if (dRot > D) fail('ROT_DIM', `dRot must be <= headDim ${D}, got ${dRot}`);
  if (layout !== 'half' && layout !== 'interleaved') fail('OUT_OF_RANGE', `layout must be "half" or "interleaved", got "${layout}"`);
  const pos = (s) => (positions ? positions[s] : offset + s);
  let maxPos = 0; for (let s = 0; s < S; s++) maxPos = Math.max(maxPos, pos(s));
  const { invFreq, attentionFactor: a } = ropeParams(dRot, { base, scaling, maxPositionEmbeddings, seqLen: seqLen ?? maxPos + 1 });
  const out = Float32Array.from(x.data), half = dRot / 2;
  for (let bh = 0; bh < B * H; bh++) for (let s = 0; s < S; s++) {
    const row = (bh * S + s) * D;
    for (let j = 0; j < half; j++) {
      const t = pos(s) * invFreq[j], c = Math.cos(t), sn = inverse ? -Math.sin(t) : Math.sin(t), f = inverse ? 1 / a : a;
      const i0 = layout === 'half' ? j : 2 * j, i1 = layout === 'half' ? j + half : 2 * j + 1;
      const u = x.data[row + i0], v = x.data[row + i1];
      out[row + i0] = f * (u * c - v * sn); out[row + i1] = f * (u * sn + v * c);
    }
  }
  return tensor(out, x.shape);
}

function xposApply(x, { role = 'q', positions, offset = 0, base = 10000, gamma = 0.4, scaleBase = 512, center = 0, layout = 'interleaved' } = {}) {
  const [B, H, S, D] = x.shape;
  if (D % 2) fail('ODD_DIM', `headDim must be even, got ${D}`);
  const r = ropeForward(x, { base, layout, positions, offset });
  const half = D / 2, sign = role === 'q' ? 1 : -1;
  for (let bh = 0; bh < B * H; bh++) for (let s = 0; s < S; s++) {
    const n = positions ? positions[s] : offset + s, row = (bh * S + s) * D;
    for (let j = 0; j < half; j++) {
      const z = (2 * j / D + gamma) / (1 + gamma), e = sign * (n - center) / scaleBase;
      if (Math.abs(e * Math.log(z)) > 700) fail('OUT_OF_RANGE', `xPos exponent too large at position ${n}`);
      const f = z ** e, i0 = layout === 'half' ? j : 2 * j, i1 = layout === 'half' ? j + half : 2 * j + 1;
      r.data[row + i0] *= f; r.data[row + i1] *= f;
    }
  }
  return r;
}

function alibiSlopes(n) {
  if (!int(n) || n <= 0) fail('BAD_HEADS', `numHeads must be a positive integer, got ${n}`);
  const c = 2 ** Math.floor(Math.log2(n)), out = new Float32Array(n);
  for (let h = 0; h < c; h++) out[h] = 2 ** (-8 * (h + 1) / c);
  for (let t = 0; t < n - c; t++) out[c + t] = 2 ** (-4 * (2 * t + 1) / c);
  return out;
}

function alibiBias(numHeads, qLen, kLen, { qOffset = kLen - qLen, mode = 'causal' } = {}) {
  const m = alibiSlopes(numHeads);
  if (!['causal', 'symmetric', 'key_only'].includes(mode)) fail('OUT_OF_RANGE', `mode must be causal, symmetric or key_only, got "${mode}"`);
  if (qOffset < 0) fail('BAD_POSITION', `qOffset must be >= 0, got ${qOffset}`);
  const out = new Float32Array(numHeads * qLen * kLen);
  for (let h = 0; h < numHeads; h++) for (let i = 0; i < qLen; i++) for (let j = 0; j < kLen; j++) {
    const ip = qOffset + i;
    out[(h * qLen + i) * kLen + j] = mode === 'causal' ? -m[h] * (ip - j) : mode === 'symmetric' ? -m[h] * Math.abs(ip - j) : m[h] * j;
  }
  return tensor(out, [numHeads, qLen, kLen]);
}

function t5Buckets(rel, { bidirectional = true, numBuckets = 32, maxDistance = 128 } = {}) {
  const out = new Int32Array(rel.length);
  let nb = numBuckets;
  if (bidirectional) nb = Math.floor(nb / 2);
  const e = Math.floor(nb / 2);
  if (e < 1 || maxDistance <= e) fail('OUT_OF_RANGE', `numBuckets/maxDistance out of range`);
  for (let i = 0; i < rel.length; i++) {
    const rp = rel[i];
    const b0 = bidirectional && rp > 0 ? nb : 0, n = bidirectional ? Math.abs(rp) : Math.max(-rp, 0);
    out[i] = n < e ? b0 + n : b0 + Math.min(nb - 1, e + Math.trunc(Math.log(n / e) / Math.log(maxDistance / e) * (nb - e)));
  }
  return out;
}

function t5Bias(table, { numHeads, qLen, kLen, qOffset = kLen - qLen, bidirectional = true, maxDistance = 128 }) {
  if (!(numHeads > 0)) fail('BAD_HEADS', `numHeads must be a positive integer, got ${numHeads}`);
  const nbk = table.shape[0], rel = new Int32Array(qLen * kLen);
  for (let i = 0; i < qLen; i++) for (let j = 0; j < kLen; j++) rel[i * kLen + j] = j - (qOffset + i);
  const b = t5Buckets(rel, { bidirectional, numBuckets: nbk, maxDistance });
  const out = new Float32Array(numHeads * qLen * kLen);
  for (let h = 0; h < numHeads; h++) for (let t = 0; t < qLen * kLen; t++) out[h * qLen * kLen + t] = table.data[b[t] * numHeads + h];
  return tensor(out, [numHeads, qLen, kLen]);
}

function sdpa(q, k, v, { bias, alibi, causal = false, qOffset, scale, returnProbs = false } = {}) {
  const [B, H, Q, D] = q.shape, K = k.shape[2], Dv = v.shape[3];
  if (k.shape[3] !== D || v.shape[2] !== K) fail('SHAPE_MISMATCH', 'q, k, v shapes disagree');
  qOffset ??= K - Q; scale ??= 1 / Math.sqrt(D);
  if (qOffset < 0) fail('BAD_POSITION', `qOffset must be >= 0, got ${qOffset}`);
  const slopes = typeof alibi === 'string' ? alibiBias(H, Q, K, { qOffset, mode: alibi }).data : null;
  const out = new Float32Array(B * H * Q * Dv), probs = new Float32Array(B * H * Q * K), s = new Float64Array(K);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Q; i++) {
    let mx = -Infinity;
    for (let j = 0; j < K; j++) {
      let dot = 0; for (let c = 0; c < D; c++) dot += q.data[((b * H + h) * Q + i) * D + c] * k.data[((b * H + h) * K + j) * D + c];
      let val = scale * dot;
      if (bias) val += bias.data[(bias.shape.length === 4 ? ((b * H + h) * Q + i) : (h * Q + i)) * K + j];
      if (slopes) val += slopes[(h * Q + i) * K + j];
      if (causal && j > qOffset + i) val = -Infinity;
      s[j] = val; if (val > mx) mx = val;
    }
    let z = 0;
    for (let j = 0; j < K; j++) { s[j] = mx === -Infinity ? 0 : Math.exp(s[j] - mx); z += s[j]; }
    const pr = ((b * H + h) * Q + i) * K;
    for (let j = 0; j < K; j++) probs[pr + j] = z ? s[j] / z : 0;
    for (let c = 0; c < Dv; c++) { let acc = 0; for (let j = 0; j < K; j++) acc += probs[pr + j] * v.data[((b * H + h) * K + j) * Dv + c]; out[((b * H + h) * Q + i) * Dv + c] = acc; }
  }
  return { out: tensor(out, [B, H, Q, Dv]), probs: returnProbs ? tensor(probs, [B, H, Q, K]) : undefined };
}

const api = { sinusoidalTable, sinusoidalForward, learnedForward, clippedRelativeBias, ropeParams, ropeForward,
  xposApply, alibiSlopes, alibiBias, t5Buckets, t5Bias, sdpa, dropout };
export async function load(options = {}) {
  return { ...api, features: { simd: options.simd !== false, version: '0.0.0-standin' } };
}
