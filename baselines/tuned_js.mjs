// Hand-optimised JavaScript: float64 frequencies hoisted out of the loops, cos/sin tables cached,
// results written into preallocated arrays, causal rows that stop at the diagonal, and a reused
// score buffer. What a careful JS programmer reaches without SIMD or WebAssembly.

function frequencies(dim, base = 10000) {
  return Float64Array.from({ length: dim / 2 }, (_, i) => base ** (-2 * i / dim));
}

// Interleaved sin/cos rows start … start+count−1 into out.
export function sinusoidalTable(start, count, d, out) {
  const freq = frequencies(d), half = d / 2;
  for (let r = 0, o = 0; r < count; r++) {
    const p = start + r;
    for (let i = 0; i < half; i++, o += 2) {
      const a = p * freq[i];
      out[o] = Math.sin(a);
      out[o + 1] = Math.cos(a);
    }
  }
  return out;
}

// A cos/sin table of positions offset … offset+seq−1, kept between calls of the same shape.
export class RopeTables {
  constructor(dim) {
    this.dim = dim;
    this.freq = frequencies(dim);
    this.key = '';
  }

  get(seq, offset) {
    const key = `${seq}:${offset}`;
    if (key !== this.key) {
      const half = this.dim / 2;
      this.cos = new Float32Array(seq * half);
      this.sin = new Float32Array(seq * half);
      for (let s = 0; s < seq; s++) {
        for (let j = 0; j < half; j++) {
          const a = (offset + s) * this.freq[j];
          this.cos[s * half + j] = Math.cos(a);
          this.sin[s * half + j] = Math.sin(a);
        }
      }
      this.key = key;
    }
    return this;
  }
}

// x, out: [heads, seq, dim]; the layout only changes the pair stride and the step between pairs.
export function ropeForward(x, out, heads, seq, dim, layout, tables) {
  const half = dim / 2, { cos, sin } = tables;
  const stride = layout === 'half' ? half : 1;
  const step = layout === 'half' ? 1 : 2;
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < seq; s++) {
      const row = (h * seq + s) * dim, t = s * half;
      for (let j = 0, a = row; j < half; j++, a += step) {
        const u = x[a], w = x[a + stride], c = cos[t + j], sn = sin[t + j];
        out[a] = u * c - w * sn;
        out[a + stride] = w * c + u * sn;
      }
    }
  }
  return out;
}

// Causal ALiBi attention: only j ≤ i' is computed; one reused score row; output accumulated by rows.
export function sdpaAlibi(q, k, v, out, heads, qLen, kLen, dim, scores) {
  const qOffset = kLen - qLen, scale = 1 / Math.sqrt(dim);
  out.fill(0);
  for (let h = 0; h < heads; h++) {
    const slope = 2 ** (-8 * (h + 1) / heads);
    const kh = h * kLen * dim;
    for (let i = 0; i < qLen; i++) {
      const qi = (h * qLen + i) * dim, last = qOffset + i;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        const kj = kh + j * dim;
        let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (let c = 0; c < dim; c += 4) {
          d0 += q[qi + c] * k[kj + c];
          d1 += q[qi + c + 1] * k[kj + c + 1];
          d2 += q[qi + c + 2] * k[kj + c + 2];
          d3 += q[qi + c + 3] * k[kj + c + 3];
        }
        const sc = (d0 + d1 + d2 + d3) * scale - slope * (last - j);
        scores[j] = sc;
        if (sc > max) max = sc;
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) sum += scores[j] = Math.exp(scores[j] - max);
      const inv = 1 / sum;
      for (let j = 0; j <= last; j++) {
        const w = scores[j] * inv, vj = kh + j * dim;
        for (let c = 0; c < dim; c++) out[qi + c] += w * v[vj + c];
      }
    }
  }
  return out;
}
