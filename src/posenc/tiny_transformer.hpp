// A small decoder-only transformer trained in this library (GPT-2 shape: pre-LayerNorm blocks, tanh-GELU MLP,
// causal attention), with the positional scheme a constructor option, so that encodings can be compared by
// training them side by side. Forward and backward follow llm.c's layout: every activation the backward needs
// is kept per layer; each *_backward quotes the forward statement it differentiates.
// Tokens, targets: [batch, seq] int32 in [0, vocab_size); mask: [batch, seq] 0/1 (loss positions), or empty
// for all positions. Deterministic: the same options (seed included) and batches give the same bits on one build.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "posenc/optimizer.hpp"
#include "posenc/rope.hpp"
#include "posenc/span.hpp"

namespace posenc {

// none (NoPE, Kazemnejad et al. 2023), sinusoidal (Vaswani et al.), learned (GPT-2 wpe), rope (Su et al.),
// xpos (Sun et al.), alibi (Press et al.), t5 (Raffel et al. relative buckets), randomized (Ruoss et al. 2023:
// positions are a sorted random subset of [0, max_random_position), fresh each training step; evaluation and
// attention draw them too, fixed per row, as the paper does at test time).
enum class PositionalScheme { None, Sinusoidal, Learned, Rope, Xpos, Alibi, T5, Randomized };
// "none" | "sinusoidal" | "learned" | "rope" | "xpos" | "alibi" | "t5" | "randomized", else OUT_OF_RANGE.
PositionalScheme parse_positional_scheme(const std::string& name);
const char* positional_scheme_name(PositionalScheme scheme);

struct TinyTransformerOptions {
  std::int64_t vocab_size = 16;     // [2, 65536]
  std::int64_t layers = 2;          // [1, 4]
  std::int64_t d_model = 64;        // [2, 256], a multiple of heads
  std::int64_t heads = 4;           // [1, 8]
  std::int64_t mlp_hidden = 0;      // 0: 4·d_model; at most 4·256
  std::int64_t max_len = 1024;      // the longest sequence accepted; the learned table's rows; at most 8192
  bool tie_embeddings = true;       // logits use the token embedding (true) or their own [vocab, d] matrix
  PositionalScheme positional = PositionalScheme::Rope;
  // rope and xpos (and randomized over rope)
  double rope_base = 10000.0;
  RopeLayout rope_layout = RopeLayout::Half;
  std::optional<std::int64_t> rope_dims;              // d_rot, default head_dim
  RopeScaling rope_scaling;                            // in training and evaluation
  std::optional<RopeScaling> rope_eval_scaling;        // replaces rope_scaling in evaluate() and attention() only
  std::optional<std::int64_t> rope_max_position_embeddings;
  // t5: one shared [num_buckets, heads] table, unidirectional buckets
  std::int64_t t5_num_buckets = 32;
  std::int64_t t5_max_distance = 128;
  // randomized
  std::int64_t max_random_position = 2048;
  PositionalScheme randomized_base = PositionalScheme::Rope;  // rope or sinusoidal
  double init_std = 0.02;
  double layer_norm_eps = 1e-5;
  AdamWOptions optimizer;
  std::uint64_t seed = 0;
};

// Checks every option (coded errors naming the option, its value and the rule) before anything is allocated.
void validate_tiny_transformer(const TinyTransformerOptions& options);

struct TokenBatch {
  Span<const std::int32_t> tokens;   // [batch, seq]
  Span<const std::int32_t> targets;  // [batch, seq]
  Span<const std::uint8_t> mask;     // [batch, seq] or empty (every position)
  std::int64_t batch = 1;
  std::int64_t seq = 1;
};

struct TrainStepResult {
  double loss = 0;           // mean cross-entropy over the mask, before the update
  double grad_norm = 0;      // global gradient norm before clipping
  double learning_rate = 0;  // the rate this step used
};

struct EvaluationResult {
  double loss = 0;
  double accuracy = 0;                       // argmax = target, over the masked positions
  std::vector<double> per_position;          // [seq] accuracy at each position over the batch (0 where unmasked)
  std::vector<std::int64_t> per_position_count;  // [seq] masked positions counted there
};

// One named parameter tensor, row-major: what state_dict exports and load_state_dict reads.
struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

struct ParameterInfo {
  std::string name;
  std::vector<std::int64_t> shape;
  std::size_t offset = 0;  // into parameters() / gradients()
  std::size_t size = 0;
  bool decay = false;      // AdamW weight decay applies
};

class TinyTransformer {
 public:
  explicit TinyTransformer(const TinyTransformerOptions& options);
  ~TinyTransformer();
  TinyTransformer(const TinyTransformer&) = delete;
  TinyTransformer& operator=(const TinyTransformer&) = delete;

  // Forward, backward, clipping and one AdamW step.
  TrainStepResult train_step(const TokenBatch& batch);
  // Evaluation positions and eval-time RoPE scaling; no update.
  EvaluationResult evaluate(const TokenBatch& batch);
  // Attention probabilities of one layer for the given tokens (evaluation mode): [batch, heads, seq, seq].
  std::vector<float> attention(Span<const std::int32_t> tokens, std::int64_t batch, std::int64_t seq, std::int64_t layer);

  // The loss alone (training = true: training positions and scaling, as train_step sees them).
  double loss(const TokenBatch& batch, bool training);
  // Loss and gradients (into gradients()) with training positions, without an update: for gradient checks.
  double compute_gradients(const TokenBatch& batch);

  std::vector<NamedTensor> state_dict() const;
  // Every tensor of state_dict() by name, each with its shape; SHAPE_MISMATCH otherwise (nothing changes).
  void load_state_dict(const std::vector<NamedTensor>& state);

  const std::vector<ParameterInfo>& parameter_info() const { return info_; }
  Span<float> parameters() { return params_; }
  Span<const float> gradients() const { return grads_; }
  std::int64_t parameter_count() const { return static_cast<std::int64_t>(params_.size()); }
  std::int64_t steps() const { return optimizer_.steps(); }
  // The optimizer's moments and step count: with the parameters, what a second model needs to continue this
  // one's training to the same bits (randomized positions are drawn from the seed and the step count).
  const AdamW& optimizer() const { return optimizer_; }
  void restore_optimizer(Span<const float> first_moment, Span<const float> second_moment, std::int64_t steps) {
    optimizer_.restore(first_moment, second_moment, steps);
  }
  const TinyTransformerOptions& options() const { return options_; }

 private:
  struct Layout;
  struct Activations;
  void check_batch(const TokenBatch& batch, bool need_targets) const;
  void forward(const TokenBatch& batch, bool training, Activations& a, std::int64_t probs_layer, float* probs);
  double loss_and_dlogits(const TokenBatch& batch, Activations& a, bool want_grad);
  void backward(const TokenBatch& batch, Activations& a);

  TinyTransformerOptions options_;
  std::vector<ParameterInfo> info_;
  std::unique_ptr<Layout> layout_;
  std::vector<float> params_, grads_;
  std::vector<std::uint8_t> decay_;
  AdamW optimizer_;
  std::unique_ptr<Activations> acts_;
};

}  // namespace posenc
