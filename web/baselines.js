// Plain-JavaScript versions of the timed kernels: the straightforward code a page would write without
// posenc (float64 Math.sin/cos, typed arrays, no allocation inside the timed call). Speed panel only.

export function sinusoidalTableJs(out, count, d, base = 10000) {
  const half = d / 2, omega = new Float64Array(half);
  for (let i = 0; i < half; i++) omega[i] = base ** (-2 * i / d);
  for (let p = 0; p < count; p++) {
    const row = p * d;
    for (let i = 0; i < half; i++) { const a = p * omega[i]; out[row + 2 * i] = Math.sin(a); out[row + 2 * i + 1] = Math.cos(a); }
  }
  return out;
}

// Half layout, positions 0 … seq−1; cos/sin computed once per (position, pair) and shared by the heads.
export function ropeForwardJs(out, x, heads, seq, d, base = 10000) {
  const half = d / 2, cos = new Float32Array(seq * half), sin = new Float32Array(seq * half);
  for (let p = 0; p < seq; p++) for (let j = 0; j < half; j++) {
    const a = p * base ** (-2 * j / d);
    cos[p * half + j] = Math.cos(a); sin[p * half + j] = Math.sin(a);
  }
  for (let h = 0; h < heads; h++) for (let p = 0; p < seq; p++) {
    const row = (h * seq + p) * d, t = p * half;
    for (let j = 0; j < half; j++) {
      const u = x[row + j], v = x[row + j + half], c = cos[t + j], s = sin[t + j];
      out[row + j] = u * c - v * s; out[row + j + half] = u * s + v * c;
    }
  }
  return out;
}

export function alibiBiasJs(out, slopes, qLen, kLen) {
  const off = kLen - qLen;
  for (let h = 0; h < slopes.length; h++) for (let i = 0; i < qLen; i++) {
    const row = (h * qLen + i) * kLen, m = slopes[h];
    for (let j = 0; j < kLen; j++) out[row + j] = -m * (off + i - j);
  }
  return out;
}

// Causal scaled dot-product attention over [heads, n, d], stable softmax, one scratch row.
export function sdpaJs(out, q, k, v, heads, n, d) {
  const scale = 1 / Math.sqrt(d), w = new Float32Array(n);
  for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) {
    const qi = (h * n + i) * d;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) {
      const kj = (h * n + j) * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += q[qi + c] * k[kj + c];
      w[j] = s * scale;
      if (w[j] > max) max = w[j];
    }
    let z = 0;
    for (let j = 0; j <= i; j++) { w[j] = Math.exp(w[j] - max); z += w[j]; }
    for (let c = 0; c < d; c++) out[qi + c] = 0;
    for (let j = 0; j <= i; j++) {
      const p = w[j] / z, vj = (h * n + j) * d;
      for (let c = 0; c < d; c++) out[qi + c] += p * v[vj + c];
    }
  }
  return out;
}
