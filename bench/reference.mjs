// The float64 definitions of SPEC.md that every implementation is checked against (plain loops in
// double precision; Math.sin/Math.cos reduce large arguments exactly).

export function sinusoidalFrequencies(d, base = 10000) {
  return Float64Array.from({ length: d / 2 }, (_, i) => base ** (-2 * i / d));
}

// Rows start … start+count−1 of the interleaved sin/cos table (SPEC §1).
export function sinusoidalTable(start, count, d) {
  const freq = sinusoidalFrequencies(d);
  const out = new Float64Array(count * d);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < d / 2; i++) {
      const a = (start + r) * freq[i];
      out[r * d + 2 * i] = Math.sin(a);
      out[r * d + 2 * i + 1] = Math.cos(a);
    }
  }
  return out;
}

// RoPE (SPEC §3) of x: [heads, seq, dim] (batch 1), positions offset + s, d_rot = dim.
export function rope(x, heads, seq, dim, layout, offset) {
  const half = dim / 2;
  const freq = sinusoidalFrequencies(dim);
  const out = new Float64Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < seq; s++) {
      const row = (h * seq + s) * dim;
      for (let j = 0; j < half; j++) {
        const a = (offset + s) * freq[j];
        const c = Math.cos(a), sn = Math.sin(a);
        const iu = layout === 'half' ? j : 2 * j;
        const iv = layout === 'half' ? j + half : 2 * j + 1;
        const u = x[row + iu], v = x[row + iv];
        out[row + iu] = u * c - v * sn;
        out[row + iv] = u * sn + v * c;
      }
    }
  }
  return out;
}

// ALiBi slopes for a power-of-two head count (SPEC §6): 2^(−8(h+1)/n).
export function alibiSlopes(heads) {
  return Float64Array.from({ length: heads }, (_, h) => 2 ** (-8 * (h + 1) / heads));
}

// Causal attention with the ALiBi causal bias (SPEC §6, §8), batch 1, queries at kLen − qLen + i.
export function sdpaAlibi(q, k, v, heads, qLen, kLen, dim) {
  const slopes = alibiSlopes(heads);
  const scale = 1 / Math.sqrt(dim);
  const qOffset = kLen - qLen;
  const out = new Float64Array(heads * qLen * dim);
  const s = new Float64Array(kLen);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < qLen; i++) {
      const qi = (h * qLen + i) * dim;
      const last = qOffset + i;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        let dot = 0;
        const kj = (h * kLen + j) * dim;
        for (let c = 0; c < dim; c++) dot += q[qi + c] * k[kj + c];
        s[j] = dot * scale - slopes[h] * (last - j);
        if (s[j] > max) max = s[j];
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) sum += (s[j] = Math.exp(s[j] - max));
      for (let j = 0; j <= last; j++) {
        const w = s[j] / sum, vj = (h * kLen + j) * dim;
        for (let c = 0; c < dim; c++) out[qi + c] += w * v[vj + c];
      }
    }
  }
  return out;
}

// Max |got − exp| and whether every element is within SPEC §11's float32 tolerance (2e-6 + 2e-6·|exp|).
export function compare(got, exp) {
  if (got.length !== exp.length) return { maxAbs: Infinity, withinSpec: false };
  let maxAbs = 0, within = true;
  for (let i = 0; i < exp.length; i++) {
    const err = Math.abs(got[i] - exp[i]);
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Infinity : err;
    if (!(err <= 2e-6 + 2e-6 * Math.abs(exp[i]))) within = false;
  }
  return { maxAbs, withinSpec: within };
}
