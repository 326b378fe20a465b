// The tiny transformer and the seeded tasks as JS calls them (bindings/tiny-transformer.js, tasks.js):
// numbers and pointers in (wire.hpp). The constructor's options cross as one float64 block whose slot
// names JS reads from tinyTransformerFieldName, so the order is written once, here.
#include <algorithm>
#include <string>

#include "exports.hpp"
#include "wire.hpp"

namespace posenc::bindings {

namespace {
enum ModelSlot {
  kVocabSize, kLayers, kDModel, kHeads, kMlpHidden, kMaxLen, kTieEmbeddings, kPositional, kRopeBase, kRopeLayout,
  kRopeDims, kRopeMaxPositionEmbeddings, kT5NumBuckets, kT5MaxDistance, kMaxRandomPosition, kRandomizedBase,
  kInitStd, kLayerNormEps, kLearningRate, kBeta1, kBeta2, kEps, kWeightDecay, kWarmupSteps, kTotalSteps,
  kMinLearningRateRatio, kClipNorm, kSeed, kModelSlotCount
};
const char* const kModelFields[kModelSlotCount] = {
    "vocabSize", "layers", "dModel", "heads", "mlpHidden", "maxLen", "tieEmbeddings", "positional", "ropeBase",
    "ropeLayout", "ropeDims", "ropeMaxPositionEmbeddings", "t5NumBuckets", "t5MaxDistance", "maxRandomPosition",
    "randomizedBase", "initStd", "layerNormEps", "optimizer.learningRate", "optimizer.beta1", "optimizer.beta2",
    "optimizer.eps", "optimizer.weightDecay", "optimizer.warmupSteps", "optimizer.totalSteps",
    "optimizer.minLearningRateRatio", "optimizer.clipNorm", "seed"};

TokenBatch token_batch(std::uintptr_t tokens, std::uintptr_t targets, std::uintptr_t mask, double mask_len,
                       double batch, double seq) {
  const double n = batch * seq;
  return {span<const std::int32_t>(tokens, n), span<const std::int32_t>(targets, targets ? n : 0),
          span<const std::uint8_t>(mask, mask_len), to_int(batch), to_int(seq)};
}
}  // namespace

std::string tinyTransformerFieldName(int i) { return i >= 0 && i < kModelSlotCount ? kModelFields[i] : ""; }

TinyTransformer* makeTinyTransformer(std::uintptr_t block, std::uintptr_t scaling, std::uintptr_t eval_scaling) {
  const double* v = reinterpret_cast<const double*>(block);
  TinyTransformerOptions o;
  o.vocab_size = to_int(v[kVocabSize]);
  o.layers = to_int(v[kLayers]);
  o.d_model = to_int(v[kDModel]);
  o.heads = to_int(v[kHeads]);
  o.mlp_hidden = to_int(v[kMlpHidden]);
  o.max_len = to_int(v[kMaxLen]);
  o.tie_embeddings = v[kTieEmbeddings] != 0;
  o.positional = static_cast<PositionalScheme>(to_int(v[kPositional]));
  o.rope_base = v[kRopeBase];
  o.rope_layout = static_cast<RopeLayout>(to_int(v[kRopeLayout]));
  o.rope_dims = opt_int(v[kRopeDims]);
  o.rope_scaling = read_scaling(scaling);
  if (eval_scaling) o.rope_eval_scaling = read_scaling(eval_scaling);
  o.rope_max_position_embeddings = opt_int(v[kRopeMaxPositionEmbeddings]);
  o.t5_num_buckets = to_int(v[kT5NumBuckets]);
  o.t5_max_distance = to_int(v[kT5MaxDistance]);
  o.max_random_position = to_int(v[kMaxRandomPosition]);
  o.randomized_base = static_cast<PositionalScheme>(to_int(v[kRandomizedBase]));
  o.init_std = v[kInitStd];
  o.layer_norm_eps = v[kLayerNormEps];
  o.optimizer.learning_rate = v[kLearningRate];
  o.optimizer.beta1 = v[kBeta1];
  o.optimizer.beta2 = v[kBeta2];
  o.optimizer.eps = v[kEps];
  o.optimizer.weight_decay = v[kWeightDecay];
  o.optimizer.warmup_steps = to_int(v[kWarmupSteps]);
  o.optimizer.total_steps = to_int(v[kTotalSteps]);
  o.optimizer.min_learning_rate_ratio = v[kMinLearningRateRatio];
  o.optimizer.clip_norm = v[kClipNorm];
  o.seed = static_cast<std::uint64_t>(v[kSeed]);
  return new TinyTransformer(o);
}

// out: loss, gradient norm, learning rate.
void tinyTransformerTrainStep(TinyTransformer& m, std::uintptr_t tokens, std::uintptr_t targets, std::uintptr_t mask,
                              double mask_len, double batch, double seq, std::uintptr_t out) {
  const TrainStepResult r = m.train_step(token_batch(tokens, targets, mask, mask_len, batch, seq));
  double* o = reinterpret_cast<double*>(out);
  o[0] = r.loss;
  o[1] = r.grad_norm;
  o[2] = r.learning_rate;
}

// out: loss, accuracy, then the accuracy at each of the seq positions.
void tinyTransformerEvaluate(TinyTransformer& m, std::uintptr_t tokens, std::uintptr_t targets, std::uintptr_t mask,
                             double mask_len, double batch, double seq, std::uintptr_t out) {
  const EvaluationResult r = m.evaluate(token_batch(tokens, targets, mask, mask_len, batch, seq));
  double* o = reinterpret_cast<double*>(out);
  o[0] = r.loss;
  o[1] = r.accuracy;
  std::copy(r.per_position.begin(), r.per_position.end(), o + 2);
}

// out: [batch, heads, seq, seq] floats.
void tinyTransformerAttention(TinyTransformer& m, std::uintptr_t tokens, double batch, double seq, double layer,
                              std::uintptr_t out) {
  const std::vector<float> p =
      m.attention(span<const std::int32_t>(tokens, batch * seq), to_int(batch), to_int(seq), to_int(layer));
  std::copy(p.begin(), p.end(), reinterpret_cast<float*>(out));
}

double tinyTransformerTensorCount(const TinyTransformer& m) { return static_cast<double>(m.parameter_info().size()); }
std::string tinyTransformerTensorName(const TinyTransformer& m, double i) { return m.parameter_info()[to_int(i)].name; }
// The shape of tensor i as "d0,d1,…".
std::string tinyTransformerTensorShape(const TinyTransformer& m, double i) {
  std::string s;
  for (std::int64_t d : m.parameter_info()[to_int(i)].shape) s += (s.empty() ? "" : ",") + std::to_string(d);
  return s;
}
double tinyTransformerTensorOffset(const TinyTransformer& m, double i) {
  return static_cast<double>(m.parameter_info()[to_int(i)].offset);
}
std::uintptr_t tinyTransformerParameters(TinyTransformer& m) {
  return reinterpret_cast<std::uintptr_t>(m.parameters().data());
}
double tinyTransformerParameterCount(const TinyTransformer& m) { return static_cast<double>(m.parameter_count()); }
double tinyTransformerSteps(const TinyTransformer& m) { return static_cast<double>(m.steps()); }
std::uintptr_t tinyTransformerFirstMoment(const TinyTransformer& m) {
  return reinterpret_cast<std::uintptr_t>(m.optimizer().first_moment().data());
}
std::uintptr_t tinyTransformerSecondMoment(const TinyTransformer& m) {
  return reinterpret_cast<std::uintptr_t>(m.optimizer().second_moment().data());
}
void tinyTransformerRestoreOptimizer(TinyTransformer& m, std::uintptr_t first, std::uintptr_t second, double n, double steps) {
  m.restore_optimizer(span<const float>(first, n), span<const float>(second, n), to_int(steps));
}

Task* makeTask(int kind, double symbols, std::uintptr_t text, double text_len) {
  TaskOptions o;
  o.kind = static_cast<TaskKind>(kind);
  o.symbols = to_int(symbols);
  if (text) o.text.assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(text_len));
  return new Task(o);
}
double taskVocabSize(const Task& t) { return static_cast<double>(t.vocab_size()); }
double taskSequenceLength(const Task& t, double length) { return static_cast<double>(t.sequence_length(to_int(length))); }
double taskMaxLength(const Task& t) { return static_cast<double>(t.max_length()); }
std::string taskAlphabet(const Task& t) { return t.alphabet(); }
// tokens, targets, mask: [batch, sequence_length(length)], allocated by JS.
void taskSample(const Task& t, double batch, double length, double seed, std::uintptr_t tokens, std::uintptr_t targets,
                std::uintptr_t mask) {
  const TaskBatch b = t.sample(to_int(batch), to_int(length), static_cast<std::uint64_t>(seed));
  std::copy(b.tokens.begin(), b.tokens.end(), reinterpret_cast<std::int32_t*>(tokens));
  std::copy(b.targets.begin(), b.targets.end(), reinterpret_cast<std::int32_t*>(targets));
  std::copy(b.mask.begin(), b.mask.end(), reinterpret_cast<std::uint8_t*>(mask));
}

}  // namespace posenc::bindings
