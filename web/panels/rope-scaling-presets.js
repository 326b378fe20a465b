// rope_scaling examples in the shape of real config.json files (the numbers a user would paste).
// Each also sets the config's rope_theta (base), max_position_embeddings and the rotary head size.

const longropeFactors = (n, top) => Array.from({ length: n }, (_, j) => +(1 + (top - 1) * (j / (n - 1)) ** 2).toFixed(4));

export const ropeScalingPresets = [
  { label: 'none (default)', base: 10000, mpe: 2048, dRot: 64, seqLen: 2048, scaling: null },
  { label: 'linear ×4', base: 10000, mpe: 2048, dRot: 64, seqLen: 8192, scaling: { type: 'linear', factor: 4.0 } },
  { label: 'dynamic NTK ×2', base: 10000, mpe: 4096, dRot: 128, seqLen: 16384, scaling: { type: 'dynamic', factor: 2.0 } },
  { label: 'yarn (Qwen2.5-style)', base: 1000000, mpe: 131072, dRot: 128, seqLen: 131072, scaling: { type: 'yarn', factor: 4.0, original_max_position_embeddings: 32768 } },
  { label: 'yarn (GPT-OSS-style, truncate false)', base: 150000, mpe: 131072, dRot: 64, seqLen: 131072,
    scaling: { rope_type: 'yarn', factor: 32.0, beta_fast: 32.0, beta_slow: 1.0, truncate: false, original_max_position_embeddings: 4096 } },
  { label: 'yarn (DeepSeek-V3-style mscale)', base: 10000, mpe: 163840, dRot: 64, seqLen: 163840,
    scaling: { type: 'yarn', factor: 40, beta_fast: 32, beta_slow: 1, mscale: 1.0, mscale_all_dim: 1.0, original_max_position_embeddings: 4096 } },
  { label: 'llama3 (Llama 3.1)', base: 500000, mpe: 131072, dRot: 128, seqLen: 131072,
    scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' } },
  { label: 'longrope (Phi-3-style, illustrative factors)', base: 10000, mpe: 131072, dRot: 96, seqLen: 131072,
    scaling: { type: 'longrope', short_factor: longropeFactors(48, 1.1), long_factor: longropeFactors(48, 40) } },
];
