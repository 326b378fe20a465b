// Float64 references, written from the upstream model code, for what reading a model's config adds to
// reference.js: proportional RoPE, Llama 4's NoPE query temperature, DeepSeek's softmax-scale factor,
// M-RoPE frequency sections and Qwen2-VL multimodal position ids. Never calls posenc.

// HF modeling_rope_utils._compute_proportional_rope_parameters (Gemma 4): pairs over the whole head.
export function proportionalInvFreq(headDim, base, prf, factor = 1) {
  const out = [];
  const rotated = Math.floor((prf * headDim) / 2);
  for (let j = 0; j < headDim / 2; ++j) out.push(j < rotated ? Math.pow(base, (-2 * j) / headDim) / factor : 0);
  return out;
}

// HF modeling_llama4.Llama4TextAttention.forward: NoPE layers scale the query by this at each position.
export const llama4QueryTemperature = (position, floorScale, attnScale) =>
  Math.log1p(Math.floor((position + 1) / floorScale)) * attnScale + 1;

// HF modeling_deepseek_v3.DeepseekV3Attention.__init__: softmax scale multiplied by mscale(s, m)^2.
export function deepseekSoftmaxMultiplier(factor, mscaleAllDim) {
  const g = factor <= 1 ? 1 : 0.1 * mscaleAllDim * Math.log(factor) + 1;
  return g * g;
}

// HF modeling_qwen2_vl.apply_multimodal_rotary_pos_emb: section i of the doubled mrope_section takes
// stream i % 3; for a frequency index j < dRot/2 that is the contiguous split below.
export function mropeContiguousAxes(section) {
  return section.flatMap((n, a) => Array(n).fill('thw'[a]));
}

// HF modeling_qwen3_vl.Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope: stream 1 (h) overwrites
// indices 1, 4, 7, … below 3·section[1]; stream 2 (w) indices 2, 5, 8, … below 3·section[2].
export function mropeInterleavedAxes(section) {
  const half = section[0] + section[1] + section[2];
  const axes = Array(half).fill('t');
  for (let j = 1; j < 3 * section[1]; j += 3) axes[j] = 'h';
  for (let j = 2; j < 3 * section[2]; j += 3) axes[j] = 'w';
  return axes;
}

// RoPE of a [batch, heads, seq, headDim] tensor with given frequencies, in float64: pair j of row (b, s)
// turns by position(b, s, j) · invFreq[j] (M-RoPE gives each pair its stream's position), scaled by
// attentionFactor; dims past dRot pass through. HF modeling_llama.apply_rotary_pos_emb for 'half'.
export function ropeRotate(x, [batch, heads, seq, headDim], { dRot = headDim, layout = 'half', invFreq, attentionFactor = 1, position }) {
  const out = Array.from(x);
  const half = dRot / 2;
  for (let b = 0; b < batch; ++b) for (let h = 0; h < heads; ++h) for (let s = 0; s < seq; ++s) {
    const row = ((b * heads + h) * seq + s) * headDim;
    for (let j = 0; j < half; ++j) {
      const [i1, i2] = layout === 'interleaved' ? [row + 2 * j, row + 2 * j + 1] : [row + j, row + j + half];
      const theta = position(b, s, j) * invFreq[j];
      const c = Math.cos(theta) * attentionFactor, sn = Math.sin(theta) * attentionFactor;
      out[i1] = x[i1] * c - x[i2] * sn;
      out[i2] = x[i2] * c + x[i1] * sn;
    }
  }
  return out;
}

// Vision RoPE angle tables [tokens][headDim/2], each built the way the model's code builds it.
// HF modeling_pixtral.PixtralRotaryEmbedding: freqs = base^(−arange(0, D, 2)/D); patch (h, w), row-major,
// takes outer(h, freqs[::2]) then outer(w, freqs[1::2]).
export function pixtralAngles(gh, gw, D, base) {
  const freqs = Array.from({ length: D / 2 }, (_, i) => Math.pow(base, -(2 * i) / D));
  const even = freqs.filter((_, i) => i % 2 === 0), odd = freqs.filter((_, i) => i % 2 === 1);
  const t = [];
  for (let h = 0; h < gh; ++h) for (let w = 0; w < gw; ++w) t.push([...even.map((f) => h * f), ...odd.map((f) => w * f)]);
  return t;
}

// HF modeling_qwen2_vl: VisionRotaryEmbedding(D/2) and rot_pos_emb's reshape(h/m, m, w/m, m).permute(0, 2, 1, 3).
export function qwen2vlAngles(gh, gw, m, D, base) {
  const dim = D / 2;
  const inv = Array.from({ length: dim / 2 }, (_, i) => Math.pow(base, -(2 * i) / dim));
  const t = [];
  for (let a = 0; a < gh / m; ++a) for (let b = 0; b < gw / m; ++b) for (let c = 0; c < m; ++c) for (let d = 0; d < m; ++d) {
    const hpos = a * m + c, wpos = b * m + d;
    t.push([...inv.map((f) => hpos * f), ...inv.map((f) => wpos * f)]);
  }
  return t;
}

// HF modeling_llama4.Llama4VisionRotaryEmbedding: ids 0 … h·w−1 then CLS (−2, zeroed); x = id % w, y = id // w;
// rope_freq = base^(−arange(0, D/2, 2)[: D/4]/(D/2)); cat of repeat_interleave(2) for x+1 and y+1, [..., ::2].
export function llama4Angles(gh, gw, D, base) {
  const fd = D / 2;
  const f = Array.from({ length: fd / 2 }, (_, i) => Math.pow(base, -(2 * i) / fd));
  const t = [];
  for (let id = 0; id <= gh * gw; ++id) {
    const x = id % gw, y = Math.floor(id / gw);
    const doubled = [...f.flatMap((v) => [(x + 1) * v, (x + 1) * v]), ...f.flatMap((v) => [(y + 1) * v, (y + 1) * v])];
    t.push(doubled.filter((_, k) => k % 2 === 0).map((v) => (id === gh * gw ? 0 : v)));
  }
  return t;
}
