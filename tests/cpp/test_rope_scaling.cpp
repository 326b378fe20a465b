#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "check.hpp"
#include "posenc/rope.hpp"
#include "posenc/rope_kernel.hpp"
#include "reference/rope.hpp"

using posenc::RopeScaling;
using posenc::RopeType;

namespace {

void same_params(const posenc::RopeParams& got, const ref::RopeParams& exp) {
  REQUIRE(got.inv_freq.size() == exp.inv_freq.size());
  check::close(got.inv_freq, exp.inv_freq, 1e-15, 1e-12);
  CHECK(got.attention_factor == Approx(exp.a).epsilon(1e-12));
}

RopeScaling scaling(RopeType type, std::optional<double> factor = std::nullopt) {
  RopeScaling s;
  s.type = type;
  s.factor = factor;
  return s;
}

}  // namespace

TEST_CASE("rope_params default: base^(-2j/d), hand values", "[rope][params]") {
  const auto p = posenc::rope_params(8, 10000);
  REQUIRE(p.inv_freq.size() == 4);
  CHECK(p.inv_freq[0] == 1.0);
  CHECK(p.inv_freq[1] == Approx(0.1).epsilon(1e-14));
  CHECK(p.inv_freq[2] == Approx(0.01).epsilon(1e-14));
  CHECK(p.inv_freq[3] == Approx(0.001).epsilon(1e-14));
  CHECK(p.attention_factor == 1.0);
  for (int d : {2, 6, 64, 130}) same_params(posenc::rope_params(d, 500000), {ref::rope_inv_freq(d, 500000)});
}

TEST_CASE("rope_params linear divides every frequency by factor", "[rope][params]") {
  same_params(posenc::rope_params(64, 10000, scaling(RopeType::Linear, 4)), ref::rope_linear(64, 10000, 4));
  CHECK(posenc::rope_params(8, 10000, scaling(RopeType::Linear, 4)).inv_freq[1] == Approx(0.025));
}

TEST_CASE("rope_params dynamic NTK, and its reduction to default when seq_len <= mpe", "[rope][params]") {
  const auto s = scaling(RopeType::Dynamic, 2);
  for (std::int64_t seq : {1, 100, 4096}) same_params(posenc::rope_params(64, 10000, s, 4096, seq), {ref::rope_inv_freq(64, 10000)});
  same_params(posenc::rope_params(64, 10000, s, 4096), {ref::rope_inv_freq(64, 10000)});
  same_params(posenc::rope_params(64, 10000, s, 4096, 16384), ref::rope_dynamic(64, 10000, 2, 4096, 16384));
  // Hand value: factor 2, L = 2·mpe gives base' = base · 3^(d/(d−2)); d = 4: 10000·9 = 90000.
  const auto p = posenc::rope_params(4, 10000, s, 100, 200);
  CHECK(p.inv_freq[1] == Approx(1.0 / std::sqrt(90000.0)).epsilon(1e-13));
}

TEST_CASE("YaRN correction range for GPT-OSS settings is 8.0928 / 17.3980 before truncation", "[rope][params]") {
  // head_dim 64, base 150000, factor 32, original_max_position_embeddings 4096, beta 32 / 1, truncate false.
  CHECK(ref::yarn_dim(64, 150000, 4096, 32) == Approx(8.0928).margin(5e-5));
  CHECK(ref::yarn_dim(64, 150000, 4096, 1) == Approx(17.3980).margin(5e-5));
  const auto r = posenc::yarn_correction_range(64, 150000, 4096, 32, 1, false);
  CHECK(r.lo == Approx(8.0928).margin(5e-5));
  CHECK(r.hi == Approx(17.3980).margin(5e-5));
  const auto t = posenc::yarn_correction_range(64, 150000, 4096, 32, 1, true);
  CHECK(t.lo == 8.0);
  CHECK(t.hi == 18.0);

  RopeScaling s = scaling(RopeType::Yarn, 32);
  s.original_max_position_embeddings = 4096;
  s.beta_fast = 32;
  s.beta_slow = 1;
  s.truncate = false;
  const auto p = posenc::rope_params(64, 150000, s, 131072);
  ref::YarnConfig c{32, 4096};
  c.truncate = false;
  same_params(p, ref::rope_yarn(64, 150000, c));
  // Hand anchors: dims below lo keep their frequency, dims above hi are divided by s; a = 0.1 ln 32 + 1.
  CHECK(p.inv_freq[8] == ref::rope_inv_freq(64, 150000)[8]);
  CHECK(p.inv_freq[18] == Approx(ref::rope_inv_freq(64, 150000)[18] / 32).epsilon(1e-14));
  CHECK(p.attention_factor == Approx(0.1 * std::log(32.0) + 1).epsilon(1e-14));
}

TEST_CASE("rope_params yarn defaults, DeepSeek mscale ratio, explicit attention_factor", "[rope][params]") {
  RopeScaling s = scaling(RopeType::Yarn, 4);
  same_params(posenc::rope_params(128, 10000, s, 32768), ref::rope_yarn(128, 10000, {4, 32768}));
  s.original_max_position_embeddings = 4096;
  s.mscale = 1;
  s.mscale_all_dim = 0.707;
  ref::YarnConfig c{4, 4096};
  c.mscale = 1;
  c.mscale_all_dim = 0.707;
  same_params(posenc::rope_params(64, 10000, s, 16384), ref::rope_yarn(64, 10000, c));
  // No factor: s = max_position_embeddings / original = 163840 / 4096 = 40.
  RopeScaling derived = scaling(RopeType::Yarn);
  derived.original_max_position_embeddings = 4096;
  same_params(posenc::rope_params(64, 10000, derived, 163840), ref::rope_yarn(64, 10000, {40, 4096}));
  s.attention_factor = 0.5;
  c.attention_factor = 0.5;
  same_params(posenc::rope_params(64, 10000, s, 16384), ref::rope_yarn(64, 10000, c));
}

TEST_CASE("rope_params llama3 with the Llama 3.1 defaults", "[rope][params]") {
  const auto p = posenc::rope_params(128, 500000, scaling(RopeType::Llama3));
  same_params(p, ref::rope_llama3(128, 500000, 8, 1, 4, 8192));
  // Hand anchors: wavelength < 2048 keeps inv_j; > 8192 divides by 8.
  const auto d = ref::rope_inv_freq(128, 500000);
  CHECK(p.inv_freq[0] == d[0]);
  CHECK(p.inv_freq[63] == Approx(d[63] / 8).epsilon(1e-14));
  int kept = 0, divided = 0, blended = 0;
  for (std::size_t j = 0; j < d.size(); ++j) {
    const double lambda = 2 * ref::kPi / d[j];
    if (lambda < 2048) {
      ++kept;
      CHECK(p.inv_freq[j] == d[j]);
    } else if (lambda > 8192) {
      ++divided;
    } else {
      ++blended;
      CHECK(p.inv_freq[j] < d[j]);
      CHECK(p.inv_freq[j] > d[j] / 8);
    }
  }
  CHECK(kept > 0);
  CHECK(divided > 0);
  CHECK(blended > 0);
  RopeScaling s = scaling(RopeType::Llama3, 32);
  s.low_freq_factor = 2;
  s.high_freq_factor = 3;
  s.original_max_position_embeddings = 4096;
  same_params(posenc::rope_params(64, 10000, s), ref::rope_llama3(64, 10000, 32, 2, 3, 4096));
}

TEST_CASE("rope_params longrope picks short or long factors by seq_len", "[rope][params]") {
  const int d = 8;
  RopeScaling s = scaling(RopeType::LongRope);
  s.short_factor = {1.0, 1.1, 1.2, 1.3};
  s.long_factor = {2.0, 3.0, 5.0, 7.0};
  s.original_max_position_embeddings = 4096;
  const double factor = 131072.0 / 4096;
  for (std::int64_t seq : {1, 4096, 4097, 100000}) {
    same_params(posenc::rope_params(d, 10000, s, 131072, seq),
                ref::rope_longrope(d, 10000, s.short_factor, s.long_factor, 4096, factor, seq));
  }
  const auto p = posenc::rope_params(d, 10000, s, 131072, 5000);
  CHECK(p.inv_freq[1] == Approx(0.1 / 3.0).epsilon(1e-14));
  CHECK(p.attention_factor == Approx(std::sqrt(1 + std::log(32.0) / std::log(4096.0))).epsilon(1e-14));
  CHECK(posenc::rope_params(d, 10000, s, 4096, 10).attention_factor == 1.0);  // s = 1
}

TEST_CASE("rope_forward with scaling uses seq_len = max(position)+1 for dynamic and longrope", "[rope]") {
  const int H = 2, S = 7, D = 8;
  const auto x = check::random_floats(H * S * D, 21);
  posenc::RopeForwardOptions opt;
  opt.scaling = scaling(RopeType::Dynamic, 4);
  opt.max_position_embeddings = 64;
  opt.offset = 200;  // seq_len 207 > 64: the base grows
  std::vector<float> out(x.size());
  posenc::rope_forward(x, {1, H, S, D}, out, opt);
  check::close(out, ref::rope_apply(x, 1, H, S, D, D, false, [](int, int s) { return 200 + s; },
                                    ref::rope_dynamic(D, 10000, 4, 64, 207)));
  opt.seq_len = 64;  // explicit: default RoPE
  posenc::rope_forward(x, {1, H, S, D}, out, opt);
  check::close(out, ref::rope_apply(x, 1, H, S, D, D, false, [](int, int s) { return 200 + s; },
                                    {ref::rope_inv_freq(D, 10000)}));
  opt = {};
  opt.scaling = scaling(RopeType::LongRope);
  opt.scaling.short_factor = {1.0, 1.5, 2.0, 2.5};
  opt.scaling.long_factor = {3.0, 4.0, 5.0, 6.0};
  opt.scaling.original_max_position_embeddings = 100;
  opt.max_position_embeddings = 400;
  opt.layout = posenc::RopeLayout::Interleaved;
  for (std::int64_t offset : {0, 150}) {
    opt.offset = offset;
    posenc::rope_forward(x, {1, H, S, D}, out, opt);
    check::close(out, ref::rope_apply(x, 1, H, S, D, D, true, [&](int, int s) { return offset + s; },
                                      ref::rope_longrope(D, 10000, opt.scaling.short_factor, opt.scaling.long_factor,
                                                         100, 4, static_cast<double>(offset + S))));
  }
}

TEST_CASE("rope_params errors carry their codes and name the argument", "[rope][params][errors]") {
  using posenc::rope_params;
  check::throws_code([] { rope_params(8, INFINITY); }, "NON_FINITE", "base");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Linear, NAN)); }, "NON_FINITE", "scaling.factor");
  RopeScaling lr = scaling(RopeType::LongRope, 2);
  lr.original_max_position_embeddings = 10;
  lr.short_factor = {1, NAN, 1, 1};
  lr.long_factor = {1, 1, 1, 1};
  check::throws_code([&] { rope_params(8, 10000, lr); }, "NON_FINITE", "scaling.short_factor[1]");
  check::throws_code([] { rope_params(0); }, "BAD_SIZE", "d_rot");
  check::throws_code([] { rope_params(8, 10000, {}, 0); }, "BAD_SIZE", "max_position_embeddings");
  check::throws_code([] { rope_params(8, 10000, {}, 100, -1); }, "BAD_SIZE", "seq_len");
  RopeScaling ompe = scaling(RopeType::Yarn, 2);
  ompe.original_max_position_embeddings = 0;
  check::throws_code([&] { rope_params(8, 10000, ompe, 100); }, "BAD_SIZE",
                     "scaling.original_max_position_embeddings");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Dynamic, 2)); }, "BAD_SIZE",
                     "max_position_embeddings is required for rope_type dynamic");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Yarn, 2)); }, "BAD_SIZE",
                     "max_position_embeddings is required for rope_type yarn");
  check::throws_code([] { rope_params(7); }, "ODD_DIM", "d_rot must be even, got 7");
  check::throws_code([] { rope_params(8, 1.0); }, "OUT_OF_RANGE", "base must be greater than 1");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Linear, 0.5)); }, "OUT_OF_RANGE",
                     "scaling.factor must be >= 1, got 0.5");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Llama3, 0.5)); }, "OUT_OF_RANGE",
                     "scaling.factor");
  check::throws_code([] { rope_params(8, 10000, scaling(RopeType::Linear)); }, "OUT_OF_RANGE",
                     "scaling.factor is required");
  check::throws_code([] { rope_params(2, 10000, scaling(RopeType::Dynamic, 2), 100); }, "OUT_OF_RANGE",
                     "d_rot must be >= 4");
  RopeScaling y = scaling(RopeType::Yarn, 2);
  y.beta_fast = 0;
  check::throws_code([&] { rope_params(8, 10000, y, 100); }, "OUT_OF_RANGE", "scaling.beta_fast must be > 0");
  y.beta_fast = 1;
  y.beta_slow = 2;
  check::throws_code([&] { rope_params(8, 10000, y, 100); }, "OUT_OF_RANGE", "scaling.beta_fast must be >= scaling.beta_slow");
  y = scaling(RopeType::Yarn, 2);
  y.mscale = -1;
  check::throws_code([&] { rope_params(8, 10000, y, 100); }, "OUT_OF_RANGE", "scaling.mscale must be >= 0");
  RopeScaling l3 = scaling(RopeType::Llama3);
  l3.low_freq_factor = 0;
  check::throws_code([&] { rope_params(8, 10000, l3); }, "OUT_OF_RANGE", "scaling.low_freq_factor must be > 0");
  l3.low_freq_factor = 5;
  check::throws_code([&] { rope_params(8, 10000, l3); }, "OUT_OF_RANGE", "scaling.high_freq_factor must be >= scaling.low_freq_factor");
  RopeScaling pr = scaling(RopeType::Proportional);
  pr.partial_rotary_factor = 0;
  check::throws_code([&] { rope_params(8, 10000, pr); }, "OUT_OF_RANGE", "scaling.partial_rotary_factor must be in (0, 1]");
  pr.partial_rotary_factor = NAN;
  check::throws_code([&] { rope_params(8, 10000, pr); }, "NON_FINITE", "scaling.partial_rotary_factor");
  pr = scaling(RopeType::Proportional, 0);
  check::throws_code([&] { rope_params(8, 10000, pr); }, "OUT_OF_RANGE", "scaling.factor must be > 0");
  lr.short_factor = {1, 0, 1, 1};
  check::throws_code([&] { rope_params(8, 10000, lr); }, "OUT_OF_RANGE", "scaling.short_factor[1] must be > 0");
  lr.short_factor = {1, 1, 1};
  check::throws_code([&] { rope_params(8, 10000, lr); }, "SHAPE_MISMATCH", "scaling.short_factor must have d_rot/2 = 4 entries, got 3");
}

TEST_CASE("rope_params llama3 with low_freq_factor == high_freq_factor (Llama 4 Scout): a step, no smooth band", "[rope][params]") {
  // HF _compute_llama3_parameters: torch.where divides wavelengths past l0/low by factor; with low == high
  // the medium band is empty and its division by zero is never taken.
  RopeScaling s = scaling(RopeType::Llama3, 16);
  s.low_freq_factor = 1;
  s.high_freq_factor = 1;
  s.original_max_position_embeddings = 8192;
  const auto p = posenc::rope_params(128, 500000, s);
  const auto base = ref::rope_inv_freq(128, 500000);
  for (std::size_t j = 0; j < base.size(); ++j) {
    const bool long_wave = 2 * ref::kPi / base[j] > 8192;
    CHECK(p.inv_freq[j] == Approx(long_wave ? base[j] / 16 : base[j]).epsilon(1e-14));
  }
  same_params(p, ref::rope_llama3(128, 500000, 16, 1, 1, 8192));
}

TEST_CASE("rope_params proportional (Gemma 4): int(prf*d // 2) pairs turn, the rest have frequency 0", "[rope][params]") {
  RopeScaling s = scaling(RopeType::Proportional);
  s.partial_rotary_factor = 0.25;
  const auto p = posenc::rope_params(512, 1000000, s);
  same_params(p, ref::rope_proportional(512, 1000000, 0.25));
  CHECK(std::count_if(p.inv_freq.begin(), p.inv_freq.end(), [](double f) { return f != 0; }) == 64);
  CHECK(p.inv_freq[1] == Approx(std::pow(1000000.0, -2.0 / 512)).epsilon(1e-14));  // over the whole head
  s.factor = 8;
  s.partial_rotary_factor = 0.3;  // int(0.3 * 10 // 2) = 1
  same_params(posenc::rope_params(10, 10000, s), ref::rope_proportional(10, 10000, 0.3, 8));
  CHECK(posenc::rope_params(10, 10000, s).inv_freq[1] == 0.0);
  same_params(posenc::rope_params(8, 10000, scaling(RopeType::Proportional)), {ref::rope_inv_freq(8, 10000)});
  CHECK(posenc::parse_rope_type("proportional") == RopeType::Proportional);
}

TEST_CASE("finite scaling parameters that would overflow are rejected or computed stably", "[rope][params][errors]") {
  std::vector<float> x(1 * 1 * 3 * 8, 0.5f), out(x.size());
  const posenc::Bhsd shape{1, 1, 3, 8};
  posenc::RopeForwardOptions o;
  o.max_position_embeddings = 4096;
  // yarn attention_factor 1e39 was a float32 Inf in the tables.
  o.scaling = scaling(RopeType::Yarn, 4.0);
  o.scaling.attention_factor = 1e39;
  check::throws_code([&] { posenc::rope_forward(x, shape, out, o); }, "OUT_OF_RANGE", "attention factor must be at most 1000000");
  // 0 is a valid factor forward (zeros), but its inverse is 1/0.
  o.scaling.attention_factor = 0.0;
  posenc::rope_forward(x, shape, out, o);
  for (float v : out) CHECK(v == 0.0f);
  o.inverse = true;
  check::throws_code([&] { posenc::rope_forward(x, shape, out, o); }, "OUT_OF_RANGE", "with inverse");
  o.inverse = false;
  // longrope short_factor 1e-320 made the frequency Inf and every angle NaN.
  o.scaling = scaling(RopeType::LongRope);
  o.scaling.original_max_position_embeddings = 4096;
  o.scaling.short_factor = {1e-320, 1, 1, 1};
  o.scaling.long_factor = {1, 1, 1, 1};
  check::throws_code([&] { posenc::rope_forward(x, shape, out, o); }, "OUT_OF_RANGE", "inverse frequency 0 must be at most");
  // dynamic factor 2^60 within the trained length is the plain RoPE (it cancelled to base 0 before).
  o.scaling = scaling(RopeType::Dynamic, std::ldexp(1.0, 60));
  posenc::rope_forward(x, shape, out, o);
  std::vector<float> plain(x.size());
  posenc::rope_forward(x, shape, plain, {});
  check::close(out, plain);
  const auto p = posenc::rope_params(8, 10000, scaling(RopeType::Dynamic, std::ldexp(1.0, 60)), 4096, 4096);
  same_params(p, {ref::rope_inv_freq(8, 10000)});
}
