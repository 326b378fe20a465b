// What the TinyTransformer's two source files share: where each parameter tensor sits in the flat buffers,
// what one forward keeps for its backward, and which positional family a configuration uses.
// tiny_transformer.cpp builds, checks and updates the model; tiny_transformer_passes.cpp runs it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "posenc/tiny_transformer.hpp"

namespace posenc {

inline std::int64_t hidden_of(const TinyTransformerOptions& o) { return o.mlp_hidden == 0 ? 4 * o.d_model : o.mlp_hidden; }

// The sizes a forward and a backward pass derive from the options and a batch.
struct PassSizes {
  std::int64_t B, T, D, H, dh, F, V, L;   // batch, seq, d_model, heads, head dim, MLP hidden, vocab, layers
  std::size_t N, uD, uF, uV, per_layer;  // B·T rows; D, F, V unsigned; one layer's activations (N·D)
};
inline PassSizes pass_sizes(const TinyTransformerOptions& o, const TokenBatch& batch) {
  PassSizes z{batch.batch, batch.seq, o.d_model, o.heads, o.d_model / o.heads, hidden_of(o), o.vocab_size, o.layers,
              0, 0, 0, 0, 0};
  z.N = static_cast<std::size_t>(z.B * z.T);
  z.uD = static_cast<std::size_t>(z.D);
  z.uF = static_cast<std::size_t>(z.F);
  z.uV = static_cast<std::size_t>(z.V);
  z.per_layer = z.N * z.uD;
  return z;
}

// The positional family that acts on the attention side of a layer.
inline bool rotary(const TinyTransformerOptions& o) {
  return o.positional == PositionalScheme::Rope || o.positional == PositionalScheme::Xpos ||
         (o.positional == PositionalScheme::Randomized && o.randomized_base == PositionalScheme::Rope);
}
inline bool additive_sinusoid(const TinyTransformerOptions& o) {
  return o.positional == PositionalScheme::Sinusoidal ||
         (o.positional == PositionalScheme::Randomized && o.randomized_base == PositionalScheme::Sinusoidal);
}

// Offsets of every parameter tensor in the flat buffers.
struct TinyTransformer::Layout {
  struct Block {
    std::size_t ln1_g, ln1_b, w_qkv, b_qkv, w_o, b_o, ln2_g, ln2_b, w_in, b_in, w_out, b_out;
  };
  std::size_t token_embedding = 0, position_embedding = 0, t5_table = 0, lnf_g = 0, lnf_b = 0, lm_head = 0;
  std::vector<Block> blocks;
};

// Everything one forward keeps for its backward, sized for one (batch, seq).
struct TinyTransformer::Activations {
  std::int64_t batch = 0, seq = 0;
  std::vector<std::int32_t> positions;  // [batch, seq]
  std::vector<float> pe;                // [batch·seq, D] added sinusoids (sinusoidal schemes)
  std::vector<float> t5_bias;           // [H, T, T]
  std::vector<float> x;                 // (layers + 1) × [N, D] residual stream at each block's input
  std::vector<float> ln1, qkv, q, k, v, att, merged, mid, ln2, fc, act;  // per layer, concatenated
  std::vector<float> lnf, logits;       // [N, D], [N, V] (softmax probabilities after the loss)
  // backward scratch
  std::vector<float> dx, dln, dqkv, dq, dk, dv, datt, dmerged, dfc, dact, dq_pre, dk_pre, dbias;
};

}  // namespace posenc
