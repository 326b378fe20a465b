#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "check.hpp"
#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/simd.hpp"
#include "reference/alibi.hpp"
#include "reference/attention.hpp"

using posenc::AttentionShape;
using posenc::SdpaOptions;

namespace {

struct Inputs {
  AttentionShape shape;
  std::vector<float> q, k, v;
  explicit Inputs(const AttentionShape& s, std::uint32_t seed) : shape(s) {
    q = check::random_floats(static_cast<std::size_t>(s.batch * s.heads * s.q_len * s.head_dim), seed);
    k = check::random_floats(static_cast<std::size_t>(s.batch * s.heads * s.k_len * s.head_dim), seed + 1);
    v = check::random_floats(static_cast<std::size_t>(s.batch * s.heads * s.k_len * s.v_dim), seed + 2);
  }
  std::size_t out_size() const { return static_cast<std::size_t>(shape.batch * shape.heads * shape.q_len * shape.v_dim); }
  std::size_t probs_size() const { return static_cast<std::size_t>(shape.batch * shape.heads * shape.q_len * shape.k_len); }
};

struct Result {
  std::vector<float> out, probs;
};

Result run(const Inputs& in, const SdpaOptions& opt = {}) {
  Result r{std::vector<float>(in.out_size()), std::vector<float>(in.probs_size())};
  posenc::sdpa(in.q, in.k, in.v, in.shape, r.out, r.probs, opt);
  return r;
}

ref::Attention reference(const Inputs& in, bool causal, std::int64_t q_offset, const std::vector<double>& bias = {},
                         bool bias_batch = false, double scale = 0) {
  const auto& s = in.shape;
  if (scale == 0) scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
  return ref::sdpa(in.q, in.k, in.v, s.batch, s.heads, s.q_len, s.k_len, s.head_dim, s.v_dim, scale, causal, q_offset,
                   bias, bias_batch);
}

}  // namespace

TEST_CASE("sdpa matches the float64 reference over SIMD remainders", "[attention]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::int64_t d : {1, 6, 8, 64, 130}) {
    for (auto lens : {std::array<std::int64_t, 2>{1, 1}, {7, 7}, {33, 33}, {100, 100}, {7, 33}, {1, 100}, {33, 7}}) {
      for (bool causal : {false, true}) {
        if (causal && lens[0] > lens[1]) continue;  // the default offset would be negative
        const AttentionShape shape{2, 3, lens[0], lens[1], d, d == 130 ? 5 : d};
        INFO("head_dim=" << d << " q_len=" << lens[0] << " k_len=" << lens[1] << " causal=" << causal);
        const Inputs in(shape, static_cast<std::uint32_t>(d * 1000 + lens[0] * 10 + lens[1]));
        SdpaOptions opt;
        opt.causal = causal;
        // More queries than keys (cross-attention) needs an explicit offset: the default would be negative.
        if (lens[0] > lens[1]) opt.q_offset = 0;
        const auto got = run(in, opt);
        const auto want = reference(in, causal, opt.q_offset.value_or(lens[1] - lens[0]));
        check::close(got.out, want.out);
        check::close(got.probs, want.probs);
      }
    }
  }
}

TEST_CASE("sdpa causal alignment: default bottom-right and explicit q_offset", "[attention]") {
  const AttentionShape shape{1, 2, 7, 33, 8, 8};
  const Inputs in(shape, 5);
  SdpaOptions opt;
  opt.causal = true;
  check::close(run(in, opt).out, reference(in, true, 26).out);
  for (std::int64_t offset : {0, 3, 26, 40}) {  // 0 is PyTorch's top-left is_causal
    INFO("q_offset=" << offset);
    opt.q_offset = offset;
    const auto got = run(in, opt);
    const auto want = reference(in, true, offset);
    check::close(got.out, want.out);
    check::close(got.probs, want.probs);
  }
  // q_len > k_len is fine with an explicit offset.
  const Inputs tall({1, 1, 9, 4, 6, 6}, 9);
  opt.q_offset = 0;
  check::close(run(tall, opt).out, reference(tall, true, 0).out);
}

TEST_CASE("sdpa adds 3-D and 4-D biases and honours an explicit scale", "[attention]") {
  const AttentionShape shape{2, 3, 7, 33, 6, 10};
  const Inputs in(shape, 21);
  const auto b3 = check::random_floats(static_cast<std::size_t>(3 * 7 * 33), 30, -2, 2);
  const auto b4 = check::random_floats(static_cast<std::size_t>(2 * 3 * 7 * 33), 31, -2, 2);
  SdpaOptions opt;
  opt.bias = b3;
  opt.scale = 0.7;
  check::close(run(in, opt).out, reference(in, false, 0, {b3.begin(), b3.end()}, false, 0.7).out);
  opt.bias = b4;
  opt.bias_has_batch = true;
  opt.causal = true;
  const auto got = run(in, opt);
  const auto want = reference(in, true, 26, {b4.begin(), b4.end()}, true, 0.7);
  check::close(got.out, want.out);
  check::close(got.probs, want.probs);
}

TEST_CASE("alibi inside the kernel equals an explicit alibi_bias tensor", "[attention]") {
  for (auto mode : {posenc::AlibiMode::Causal, posenc::AlibiMode::Symmetric, posenc::AlibiMode::KeyOnly}) {
    for (auto lens : {std::array<std::int64_t, 2>{33, 33}, {7, 100}, {1, 33}}) {
      for (bool causal : {true, false}) {
        INFO("mode=" << posenc::alibi_mode_name(mode) << " q_len=" << lens[0] << " k_len=" << lens[1] << " causal=" << causal);
        const AttentionShape shape{1, 8, lens[0], lens[1], 64, 64};
        const Inputs in(shape, 40);
        std::vector<float> bias(static_cast<std::size_t>(8 * lens[0] * lens[1]));
        posenc::alibi_bias(8, lens[0], lens[1], std::nullopt, mode, bias);
        SdpaOptions explicit_bias;
        explicit_bias.bias = bias;
        explicit_bias.causal = causal;
        SdpaOptions inside;
        inside.alibi = mode;
        inside.causal = causal;
        const auto a = run(in, explicit_bias), b = run(in, inside);
        check::close(b.out, a.out);
        check::close(b.probs, a.probs);
        // And both against the float64 definition.
        const auto want = reference(in, causal, lens[1] - lens[0],
                                    ref::alibi_bias(8, lens[0], lens[1], lens[1] - lens[0], posenc::alibi_mode_name(mode)));
        check::close(b.out, want.out);
      }
    }
  }
}

TEST_CASE("alibi slopes passed explicitly imply causal mode", "[attention]") {
  const AttentionShape shape{1, 3, 9, 9, 8, 8};
  const Inputs in(shape, 50);
  const std::vector<float> slopes = {0.5f, 0.1f, 2.0f};
  std::vector<double> bias;
  for (int h = 0; h < 3; ++h)
    for (int i = 0; i < 9; ++i)
      for (int j = 0; j < 9; ++j) bias.push_back(-static_cast<double>(slopes[h]) * (i - j));
  SdpaOptions opt;
  opt.alibi_slopes = slopes;
  opt.causal = true;
  check::close(run(in, opt).out, reference(in, true, 0, bias).out);
}

TEST_CASE("key_only ALiBi gives the causal form's weights under the causal mask", "[attention]") {
  const AttentionShape shape{2, 12, 17, 40, 16, 16};
  const Inputs in(shape, 60);
  SdpaOptions causal_form, key_only;
  causal_form.causal = key_only.causal = true;
  causal_form.alibi = posenc::AlibiMode::Causal;
  key_only.alibi = posenc::AlibiMode::KeyOnly;
  const auto a = run(in, causal_form), b = run(in, key_only);
  check::close(b.probs, a.probs);
  check::close(b.out, a.out);
}

TEST_CASE("probs rows sum to 1 and are 0 above the diagonal", "[attention]") {
  const AttentionShape shape{1, 2, 33, 33, 8, 8};
  const Inputs in(shape, 70);
  SdpaOptions opt;
  opt.causal = true;
  opt.alibi = posenc::AlibiMode::Causal;
  const auto r = run(in, opt);
  for (std::int64_t row = 0; row < 2 * 33; ++row) {
    const std::int64_t i = row % 33;
    const float* p = r.probs.data() + row * 33;
    CHECK(std::accumulate(p, p + 33, 0.0) == Approx(1.0).margin(1e-6));
    for (std::int64_t j = i + 1; j < 33; ++j) CHECK(p[j] == 0.0f);
  }
  // Without a probs span the output is the same.
  std::vector<float> out(r.out.size());
  posenc::sdpa(in.q, in.k, in.v, shape, out, {}, opt);
  CHECK(out == r.out);
}

TEST_CASE("a fully -inf-biased row gives zeros, never NaN", "[attention]") {
  const AttentionShape shape{1, 1, 3, 5, 4, 4};
  const Inputs in(shape, 80);
  const float ninf = -std::numeric_limits<float>::infinity();
  std::vector<float> bias(3 * 5, 0.0f);
  for (int j = 0; j < 5; ++j) bias[5 + j] = ninf;  // row 1 sees nothing
  bias[2 * 5 + 4] = ninf;                         // row 2 loses one key
  SdpaOptions opt;
  opt.bias = bias;
  const auto r = run(in, opt);
  for (int c = 0; c < 4; ++c) CHECK(r.out[4 + c] == 0.0f);
  for (int j = 0; j < 5; ++j) CHECK(r.probs[5 + j] == 0.0f);
  CHECK(r.probs[2 * 5 + 4] == 0.0f);
  std::vector<double> b64(bias.begin(), bias.end());
  const auto want = reference(in, false, 0, b64);
  check::close(r.out, want.out);
  check::close(r.probs, want.probs);
  // Causal mask plus a -inf bias on the only visible key also empties the row.
  std::vector<float> diag(3 * 5, 0.0f);
  diag[0] = ninf;
  opt.bias = diag;
  opt.causal = true;
  opt.q_offset = 0;
  const auto c = run(in, opt);
  for (int i = 0; i < 4; ++i) CHECK(c.out[i] == 0.0f);
  for (float x : c.out) CHECK(std::isfinite(x));
}

TEST_CASE("sdpa errors carry their codes and name the argument", "[attention][errors]") {
  const AttentionShape shape{1, 2, 3, 4, 8, 8};
  const Inputs in(shape, 90);
  std::vector<float> out(in.out_size()), probs(in.probs_size());
  auto call = [&](const AttentionShape& s, const SdpaOptions& o, std::vector<float>* p = nullptr) {
    posenc::sdpa(in.q, in.k, in.v, s, out, p ? posenc::Span<float>(*p) : posenc::Span<float>(), o);
  };
  SdpaOptions ok;
  call(shape, ok, &probs);
  SdpaOptions o;
  o.scale = NAN;
  check::throws_code([&] { call(shape, o); }, "NON_FINITE", "scale must be finite, got NaN");
  o.scale = 0.0;
  check::throws_code([&] { call(shape, o); }, "OUT_OF_RANGE", "scale must be > 0, got 0");
  o.scale = -1.0;
  check::throws_code([&] { call(shape, o); }, "OUT_OF_RANGE", "scale");
  const std::vector<float> bad_slopes = {0.5f, INFINITY};
  SdpaOptions s1;
  s1.alibi_slopes = bad_slopes;
  check::throws_code([&] { call(shape, s1); }, "NON_FINITE", "alibi_slopes");
  const std::vector<float> three = {0.5f, 0.25f, 0.125f};
  s1.alibi_slopes = three;
  check::throws_code([&] { call(shape, s1); }, "SHAPE_MISMATCH", "alibi_slopes must have 2 elements");
  auto with = [&](auto edit) {
    AttentionShape s = shape;
    edit(s);
    return s;
  };
  check::throws_code([&] { call(with([](AttentionShape& s) { s.batch = 0; }), ok); }, "BAD_SIZE", "batch");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.heads = -1; }), ok); }, "BAD_SIZE", "heads");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.q_len = 0; }), ok); }, "BAD_SIZE", "q_len");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.k_len = 0; }), ok); }, "BAD_SIZE", "k_len");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.head_dim = 0; }), ok); }, "BAD_SIZE", "head_dim");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.v_dim = 0; }), ok); }, "BAD_SIZE", "v_dim");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.head_dim = 7; }), ok); }, "SHAPE_MISMATCH", "q must have");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.k_len = 5; }), ok); }, "SHAPE_MISMATCH", "k must have");
  check::throws_code([&] { call(with([](AttentionShape& s) { s.v_dim = 4; }), ok); }, "SHAPE_MISMATCH", "v must have");
  std::vector<float> short_probs(probs.size() - 1);
  check::throws_code([&] { call(shape, ok, &short_probs); }, "SHAPE_MISMATCH", "probs");
  const std::vector<float> bias3(2 * 3 * 4), bias_wrong(2 * 3 * 5);
  SdpaOptions b;
  b.bias = bias_wrong;
  check::throws_code([&] { call(shape, b); }, "SHAPE_MISMATCH", "bias [heads, q_len, k_len]");
  b.bias = bias3;
  b.bias_has_batch = true;
  call(shape, b);  // batch 1: the 4-D form has the same length
  b.bias = bias_wrong;
  check::throws_code([&] { call(shape, b); }, "SHAPE_MISMATCH", "bias [batch, heads, q_len, k_len]");
  std::vector<float> short_out(out.size() + 1);
  check::throws_code([&] { posenc::sdpa(in.q, in.k, in.v, shape, short_out); }, "SHAPE_MISMATCH", "out");
  SdpaOptions c;
  c.causal = true;
  c.q_offset = -1;
  check::throws_code([&] { call(shape, c); }, "BAD_POSITION", "q_offset");
  // The default offset k_len − q_len is negative when queries outnumber keys.
  const Inputs tall({1, 1, 5, 3, 4, 4}, 91);
  std::vector<float> tall_out(tall.out_size());
  SdpaOptions d;
  d.causal = true;
  check::throws_code([&] { posenc::sdpa(tall.q, tall.k, tall.v, tall.shape, tall_out, {}, d); }, "BAD_POSITION",
                     "q_offset (default k_len - q_len)");
  SdpaOptions e;
  e.alibi = posenc::AlibiMode::Symmetric;
  check::throws_code([&] { posenc::sdpa(tall.q, tall.k, tall.v, tall.shape, tall_out, {}, e); }, "BAD_POSITION", "q_offset");
  // Plain attention too (a negative q_offset is BAD_POSITION, including the default when q_len > k_len); an explicit 0 is accepted.
  check::throws_code([&] { posenc::sdpa(tall.q, tall.k, tall.v, tall.shape, tall_out, {}, {}); }, "BAD_POSITION",
                     "q_offset (default k_len - q_len)");
  SdpaOptions top;
  top.q_offset = 0;
  posenc::sdpa(tall.q, tall.k, tall.v, tall.shape, tall_out, {}, top);
}
