// Plain JavaScript as a user writes it when porting the usual PyTorch code: frequencies in a
// Float32Array (PyTorch's `.float()`), a fresh result per call, the full score matrix with a mask.
// Angles p·ω with a float32 ω are what makes this lose accuracy at large positions (see docs/pitfalls.md, float32 angles).

function invFreq(dim, base = 10000) {
  const f = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) f[i] = Math.exp(2 * i * (-Math.log(base) / dim));
  return f;
}

export function sinusoidalTable(start, count, d) {
  const divTerm = invFreq(d);
  const pe = new Float32Array(count * d);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < d / 2; i++) {
      pe[r * d + 2 * i] = Math.sin((start + r) * divTerm[i]);
      pe[r * d + 2 * i + 1] = Math.cos((start + r) * divTerm[i]);
    }
  }
  return pe;
}

// HF style: cos/sin tables for the sequence, then x·cos + rotate(x)·sin into a new array.
export function ropeForward(x, heads, seq, dim, layout, offset) {
  const freq = invFreq(dim);
  const half = dim / 2;
  const cos = new Float32Array(seq * half), sin = new Float32Array(seq * half);
  for (let s = 0; s < seq; s++) {
    for (let j = 0; j < half; j++) {
      cos[s * half + j] = Math.cos((offset + s) * freq[j]);
      sin[s * half + j] = Math.sin((offset + s) * freq[j]);
    }
  }
  const out = new Float32Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < seq; s++) {
      const row = (h * seq + s) * dim;
      for (let j = 0; j < half; j++) {
        const a = layout === 'half' ? row + j : row + 2 * j;
        const b = layout === 'half' ? row + j + half : row + 2 * j + 1;
        out[a] = x[a] * cos[s * half + j] - x[b] * sin[s * half + j];
        out[b] = x[b] * cos[s * half + j] + x[a] * sin[s * half + j];
      }
    }
  }
  return out;
}

// The seed's RoPE module: a cos/sin cache built once for maxLen positions, sliced per call.
export class Rotary {
  constructor(dim, maxLen) {
    this.dim = dim;
    const freq = invFreq(dim), half = dim / 2;
    this.cos = new Float32Array(maxLen * half);
    this.sin = new Float32Array(maxLen * half);
    for (let p = 0; p < maxLen; p++) {
      for (let j = 0; j < half; j++) {
        this.cos[p * half + j] = Math.cos(p * freq[j]);
        this.sin[p * half + j] = Math.sin(p * freq[j]);
      }
    }
  }

  // x: [heads, 1, dim], one token at `position`, half layout; returns a new array.
  rotateToken(x, heads, position) {
    const half = this.dim / 2, out = new Float32Array(x.length);
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < half; j++) {
        const a = h * this.dim + j, b = a + half;
        const c = this.cos[position * half + j], s = this.sin[position * half + j];
        out[a] = x[a] * c - x[b] * s;
        out[b] = x[b] * c + x[a] * s;
      }
    }
    return out;
  }
}

// scores = q·kᵀ·scale + alibi, masked_fill(future, −∞), softmax, · v — per head, full matrix.
export function sdpaAlibi(q, k, v, heads, qLen, kLen, dim) {
  const qOffset = kLen - qLen;
  const scale = 1 / Math.sqrt(dim);
  const out = new Float32Array(heads * qLen * dim);
  for (let h = 0; h < heads; h++) {
    const slope = 2 ** (-8 * (h + 1) / heads);
    const scores = new Float32Array(qLen * kLen);
    for (let i = 0; i < qLen; i++) {
      for (let j = 0; j < kLen; j++) {
        let dot = 0;
        for (let c = 0; c < dim; c++) dot += q[(h * qLen + i) * dim + c] * k[(h * kLen + j) * dim + c];
        scores[i * kLen + j] = j > qOffset + i ? -Infinity : dot * scale - slope * (qOffset + i - j);
      }
    }
    for (let i = 0; i < qLen; i++) {
      let max = -Infinity, sum = 0;
      for (let j = 0; j < kLen; j++) max = Math.max(max, scores[i * kLen + j]);
      for (let j = 0; j < kLen; j++) sum += scores[i * kLen + j] = Math.exp(scores[i * kLen + j] - max);
      for (let j = 0; j < kLen; j++) scores[i * kLen + j] /= sum;
    }
    for (let i = 0; i < qLen; i++) {
      for (let c = 0; c < dim; c++) {
        let acc = 0;
        for (let j = 0; j < kLen; j++) acc += scores[i * kLen + j] * v[(h * kLen + j) * dim + c];
        out[(h * qLen + i) * dim + c] = acc;
      }
    }
  }
  return out;
}
