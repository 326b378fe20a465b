#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "posenc/random.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/tasks.hpp"
#include "posenc/tiny_transformer.hpp"

using posenc::PositionalScheme;
using posenc::TinyTransformer;
using posenc::TinyTransformerOptions;

namespace {

TinyTransformerOptions tiny(PositionalScheme scheme) {
  TinyTransformerOptions o;
  o.vocab_size = 7;
  o.layers = 2;
  o.d_model = 8;
  o.heads = 2;
  o.max_len = 16;
  o.positional = scheme;
  o.t5_num_buckets = 6;
  o.t5_max_distance = 8;
  o.max_random_position = 40;
  o.init_std = 0.3;  // large enough that every nonlinearity matters in the check
  o.seed = 5;
  return o;
}

posenc::TokenBatch as_batch(const posenc::TaskBatch& b) {
  return posenc::TokenBatch{b.tokens, b.targets, b.mask, b.batch, b.seq};
}

}  // namespace

TEST_CASE("TinyTransformer gradients match finite differences for every positional scheme", "[tiny_transformer][backward]") {
  const std::vector<std::pair<PositionalScheme, bool>> schemes = {
      {PositionalScheme::None, true},      {PositionalScheme::Sinusoidal, true}, {PositionalScheme::Learned, true},
      {PositionalScheme::Rope, true},      {PositionalScheme::Xpos, true},       {PositionalScheme::Alibi, true},
      {PositionalScheme::T5, true},        {PositionalScheme::Randomized, true}, {PositionalScheme::Rope, false}};
  for (const auto& [scheme, tied] : schemes) {
    TinyTransformerOptions o = tiny(scheme);
    o.tie_embeddings = tied;
    if (scheme == PositionalScheme::Rope && !tied) {
      o.rope_layout = posenc::RopeLayout::Interleaved;
      o.rope_dims = 2;  // partial rotary
    }
    TinyTransformer model(o);
    const int B = 2, T = 5;
    std::vector<std::int32_t> tokens(B * T), targets(B * T);
    posenc::RandomStream rng(3);
    for (auto& t : tokens) t = static_cast<std::int32_t>(rng.below(7));
    for (auto& t : targets) t = static_cast<std::int32_t>(rng.below(7));
    const std::vector<std::uint8_t> mask = {0, 1, 1, 0, 1, 1, 1, 1, 0, 1};
    const posenc::TokenBatch batch{tokens, targets, mask, B, T};
    model.compute_gradients(batch);
    const std::vector<float> grads(model.gradients().begin(), model.gradients().end());
    auto params = model.parameters();
    for (const auto& info : model.parameter_info()) {
      INFO("scheme " << posenc::positional_scheme_name(scheme) << (tied ? " tied" : " untied") << ", tensor " << info.name);
      // Directional derivative along a random unit direction within this tensor: one float32 difference of a
      // loss change much larger than the loss's rounding, instead of one per element.
      std::vector<double> u(info.size);
      double norm = 0;
      for (auto& x : u) {
        x = rng.unit() - 0.5;
        norm += x * x;
      }
      double analytic = 0;
      for (std::size_t i = 0; i < info.size; ++i) analytic += (u[i] /= std::sqrt(norm)) * grads[info.offset + i];
      const double h = 3e-3;  // 1e-2 left a 3% truncation error on one tensor (ALiBi, layer 0 b_out) for some data
      const std::vector<float> keep(params.begin() + info.offset, params.begin() + info.offset + info.size);
      for (std::size_t i = 0; i < info.size; ++i) params[info.offset + i] = static_cast<float>(keep[i] + h * u[i]);
      const double plus = model.loss(batch, true);
      for (std::size_t i = 0; i < info.size; ++i) params[info.offset + i] = static_cast<float>(keep[i] - h * u[i]);
      const double minus = model.loss(batch, true);
      std::copy(keep.begin(), keep.end(), params.begin() + info.offset);
      const double numeric = (plus - minus) / (2 * h);
      INFO("analytic " << analytic << " numeric " << numeric);
      CHECK(std::fabs(analytic - numeric) <= 2e-2 * std::max(std::fabs(analytic), std::fabs(numeric)) + 2e-4);
    }
  }
}

TEST_CASE("TinyTransformer training is deterministic: same seed, same loss bits", "[tiny_transformer]") {
  const posenc::Task task({posenc::TaskKind::Copy, 5, ""});
  std::vector<double> runs[2];
  for (auto& losses : runs) {
    TinyTransformerOptions o = tiny(PositionalScheme::Randomized);
    o.init_std = 0.02;
    TinyTransformer model(o);
    for (int step = 0; step < 4; ++step) {
      const auto b = task.sample(3, 4, 100 + step);
      const auto r = model.train_step(as_batch(b));
      losses.push_back(r.loss);
      losses.push_back(r.grad_norm);
    }
  }
  REQUIRE(runs[0].size() == runs[1].size());
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * sizeof(double)) == 0);
}

TEST_CASE("TinyTransformer learns the copy task: the loss falls within a few hundred steps", "[tiny_transformer]") {
  const posenc::Task task({posenc::TaskKind::Copy, 4, ""});
  TinyTransformerOptions o;
  o.vocab_size = task.vocab_size();
  o.layers = 2;
  o.d_model = 32;
  o.heads = 2;
  o.max_len = 64;
  o.positional = PositionalScheme::Rope;
  o.optimizer.learning_rate = 3e-3;
  o.optimizer.warmup_steps = 20;
  o.optimizer.total_steps = 250;
  o.optimizer.weight_decay = 0.0;
  TinyTransformer model(o);
  double first = 0, last = 0;
  const int steps = 250;
  for (int step = 0; step < steps; ++step) {
    const auto r = model.train_step(as_batch(task.sample(16, 6, static_cast<std::uint64_t>(step))));
    if (step < 20) first += r.loss / 20;
    if (step >= steps - 20) last += r.loss / 20;
  }
  INFO("mean loss of the first 20 steps " << first << ", of the last 20 " << last);
  CHECK(last < 0.6 * first);
  const auto e = model.evaluate(as_batch(task.sample(32, 6, 999)));
  INFO("held-out accuracy " << e.accuracy);
  CHECK(e.accuracy > 0.5);  // chance is 1/4
  REQUIRE(e.per_position.size() == 12);
  CHECK(e.per_position_count[0] == 0);
  CHECK(e.per_position_count[6] == 32);
}

TEST_CASE("TinyTransformer attention maps are causal probability rows", "[tiny_transformer]") {
  TinyTransformer model(tiny(PositionalScheme::Alibi));
  const std::vector<std::int32_t> tokens = {1, 2, 3, 4, 5, 6};
  const auto p = model.attention(tokens, 1, 6, 1);
  REQUIRE(p.size() == 2 * 6 * 6);
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 6; ++i) {
      double s = 0;
      for (int j = 0; j < 6; ++j) {
        const float w = p[(h * 6 + i) * 6 + j];
        if (j > i) CHECK(w == 0.0f);
        s += w;
      }
      CHECK(s == Approx(1.0).margin(1e-5));
    }
}

TEST_CASE("TinyTransformer state_dict round trip and eval-only RoPE scaling", "[tiny_transformer]") {
  const posenc::Task task({posenc::TaskKind::Reverse, 5, ""});
  const auto b = task.sample(2, 5, 1);
  TinyTransformerOptions o = tiny(PositionalScheme::Rope);
  TinyTransformer a(o);
  o.seed = 77;
  o.rope_eval_scaling = posenc::RopeScaling{};
  o.rope_eval_scaling->type = posenc::RopeType::Linear;
  o.rope_eval_scaling->factor = 4.0;
  TinyTransformer c(o);
  c.load_state_dict(a.state_dict());
  // Same weights: training-mode losses agree; the eval-time scaling changes only the evaluation.
  CHECK(c.loss(as_batch(b), true) == a.loss(as_batch(b), true));
  CHECK(c.loss(as_batch(b), false) != a.loss(as_batch(b), false));
  auto state = a.state_dict();
  state[0].data.pop_back();
  check::throws_code([&] { c.load_state_dict(state); }, "SHAPE_MISMATCH", "token_embedding");
  state.pop_back();
  state[0] = a.state_dict()[0];
  check::throws_code([&] { c.load_state_dict(state); }, "SHAPE_MISMATCH", "missing");
}

TEST_CASE("TinyTransformer continued in a second model from its parameters and optimizer state: same bits", "[tiny_transformer]") {
  const posenc::Task task({posenc::TaskKind::Copy, 5, ""});
  TinyTransformerOptions o = tiny(PositionalScheme::Randomized);  // positions drawn from the seed and the step count
  o.init_std = 0.02;
  o.optimizer.warmup_steps = 2;
  o.optimizer.total_steps = 6;
  auto step = [&](TinyTransformer& m, int i) { return m.train_step(as_batch(task.sample(3, 4, 100 + i))).loss; };
  TinyTransformer whole(o), first(o), second(o);
  std::vector<double> expected, got;
  for (int i = 0; i < 6; ++i) expected.push_back(step(whole, i));
  for (int i = 0; i < 3; ++i) got.push_back(step(first, i));
  second.load_state_dict(first.state_dict());
  const auto& adam = first.optimizer();
  second.restore_optimizer(adam.first_moment(), adam.second_moment(), adam.steps());
  for (int i = 3; i < 6; ++i) got.push_back(step(second, i));
  REQUIRE(got.size() == expected.size());
  CHECK(std::memcmp(got.data(), expected.data(), got.size() * sizeof(double)) == 0);
  CHECK(std::memcmp(second.parameters().data(), whole.parameters().data(), whole.parameters().size() * sizeof(float)) == 0);

  std::vector<float> m(adam.first_moment().begin(), adam.first_moment().end()), v(adam.second_moment().begin(), adam.second_moment().end());
  v[2] = -1.0f;
  check::throws_code([&] { second.restore_optimizer(m, v, 3); }, "OUT_OF_RANGE", "second_moment[2]");
  v[2] = 0.0f;
  m[1] = NAN;
  check::throws_code([&] { second.restore_optimizer(m, v, 3); }, "NON_FINITE", "first_moment[1]");
  m.pop_back();
  check::throws_code([&] { second.restore_optimizer(m, v, 3); }, "SHAPE_MISMATCH", "first_moment");
  check::throws_code([&] { second.restore_optimizer(adam.first_moment(), adam.second_moment(), -1); }, "OUT_OF_RANGE", "steps");
  CHECK(second.steps() == 6);
}

TEST_CASE("TinyTransformer validates options and batches with coded errors", "[tiny_transformer][errors]") {
  TinyTransformerOptions o = tiny(PositionalScheme::Rope);
  o.heads = 9;
  check::throws_code([&] { TinyTransformer m(o); }, "OUT_OF_RANGE", "heads must be in [1, 8]");
  o = tiny(PositionalScheme::Rope);
  o.d_model = 10;
  o.heads = 4;
  check::throws_code([&] { TinyTransformer m(o); }, "SHAPE_MISMATCH", "d_model must be a multiple of heads");
  o = tiny(PositionalScheme::Rope);
  o.d_model = 300;
  check::throws_code([&] { TinyTransformer m(o); }, "OUT_OF_RANGE", "d_model");
  o = tiny(PositionalScheme::Rope);
  o.layers = 0;
  check::throws_code([&] { TinyTransformer m(o); }, "BAD_SIZE", "layers");
  o = tiny(PositionalScheme::Rope);
  o.rope_dims = 3;
  check::throws_code([&] { TinyTransformer m(o); }, "ODD_DIM", "d_rot");
  o = tiny(PositionalScheme::Rope);
  o.optimizer.learning_rate = -1;
  check::throws_code([&] { TinyTransformer m(o); }, "OUT_OF_RANGE", "learning_rate");
  o = tiny(PositionalScheme::T5);
  o.t5_num_buckets = 1;
  check::throws_code([&] { TinyTransformer m(o); }, "OUT_OF_RANGE", "num_buckets");

  TinyTransformer m(tiny(PositionalScheme::Learned));
  std::vector<std::int32_t> tokens = {1, 2, 3, 4}, targets = {1, 2, 3, 9};
  const std::vector<std::uint8_t> none = {0, 0, 0, 0};
  check::throws_code([&] { m.train_step({tokens, targets, {}, 1, 4}); }, "OUT_OF_RANGE", "targets[3]");
  targets[3] = 0;
  check::throws_code([&] { m.train_step({tokens, targets, {}, 1, 5}); }, "SHAPE_MISMATCH", "tokens");
  check::throws_code([&] { m.train_step({tokens, targets, none, 1, 4}); }, "OUT_OF_RANGE", "mask must select");
  std::vector<std::int32_t> long_tokens(20, 1);
  check::throws_code([&] { m.attention(long_tokens, 1, 20, 0); }, "BAD_POSITION", "max_len");
  check::throws_code([&] { m.attention(tokens, 1, 4, 2); }, "OUT_OF_RANGE", "layer");
}

TEST_CASE("TinyTransformer sinusoidal adds init_std times the sinusoid table: a learned table holding it gives the same loss",
          "[tiny_transformer]") {
  // Unscaled, the sinusoid (RMS 1/√2) swamped token embeddings of RMS init_std and the model could not read them.
  TinyTransformerOptions so = tiny(PositionalScheme::Sinusoidal), lo = tiny(PositionalScheme::Learned);
  so.init_std = lo.init_std = 0.02;
  TinyTransformer sinusoidal(so), learned(lo);
  auto state = learned.state_dict();
  const auto from = sinusoidal.state_dict();
  for (auto& t : state) {
    if (t.name == "position_embedding") {
      const auto table = posenc::sinusoidal_table(lo.max_len, lo.d_model);
      for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(so.init_std * table[i]);
      continue;
    }
    for (const auto& f : from)
      if (f.name == t.name) t.data = f.data;
  }
  learned.load_state_dict(state);
  const posenc::Task task({posenc::TaskKind::Copy, 5, ""});
  const auto b = task.sample(3, 4, 11);
  CHECK(learned.loss(as_batch(b), false) == Approx(sinusoidal.loss(as_batch(b), false)).epsilon(1e-5));
}

TEST_CASE("TinyTransformer randomized evaluates on drawn positions too, the same for the same batch", "[tiny_transformer]") {
  // Ruoss et al. sample positions at test time as well; 0 … n−1 has gaps a trained model never saw.
  TinyTransformerOptions ro = tiny(PositionalScheme::Randomized), po = tiny(PositionalScheme::Rope);
  TinyTransformer randomized(ro), rope(po);
  rope.load_state_dict(randomized.state_dict());
  const posenc::Task task({posenc::TaskKind::Copy, 5, ""});
  const auto b = task.sample(3, 4, 12);
  const double first = randomized.loss(as_batch(b), false);
  CHECK(randomized.loss(as_batch(b), false) == first);
  CHECK(randomized.evaluate(as_batch(b)).loss == first);
  CHECK(std::fabs(rope.loss(as_batch(b), false) - first) > 1e-6);  // not the positions 0 … n−1
}
