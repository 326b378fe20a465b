#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

#include "check.hpp"
#include "posenc/dropout.hpp"
#include "posenc/learned.hpp"
#include "posenc/relative.hpp"
#include "posenc/simd.hpp"
#include "reference/learned.hpp"
#include <vector>
#include "reference/gradients.hpp"

using posenc::LearnedForwardOptions;
using posenc::LearnedPositionalEmbedding;

namespace {

struct Case {
  std::int64_t batch, seq, d, max_len;
  std::vector<float> x, table;
};

Case make_case(std::int64_t batch, std::int64_t seq, std::int64_t d, std::int64_t max_len) {
  const auto seed = static_cast<std::uint32_t>(batch * 1000 + seq * 10 + d);
  return {batch, seq, d, max_len, check::random_floats(static_cast<std::size_t>(batch * seq * d), seed),
          check::random_floats(static_cast<std::size_t>(max_len * d), seed + 1)};
}

std::vector<float> forward(const Case& c, const LearnedForwardOptions& o) {
  std::vector<float> out(c.x.size());
  posenc::learned_forward(c.x, c.batch, c.seq, c.d, c.table, c.max_len, c.d, out, o);
  return out;
}

}  // namespace

TEST_CASE("learned forward with an offset matches the float64 definition", "[learned]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::int64_t d : {2, 6, 8, 64, 130}) {
    for (std::int64_t seq : {1, 7, 33}) {
      for (std::int64_t batch : {1, 3}) {
        for (std::int64_t offset : {0, 5}) {
          INFO("d=" << d << " seq=" << seq << " batch=" << batch << " offset=" << offset);
          const Case c = make_case(batch, seq, d, 40);
          LearnedForwardOptions o;
          o.offset = offset;
          o.scale = 0.5;
          std::vector<std::int64_t> pos;
          for (std::int64_t b = 0; b < batch; ++b)
            for (std::int64_t s = 0; s < seq; ++s) pos.push_back(offset + s);
          ref::Learned r;
          r.scale = 0.5;
          check::close(forward(c, o), ref::learned_forward(c.x, batch, seq, d, c.table, pos, r));
        }
      }
    }
  }
}

TEST_CASE("learned forward with shared and per-batch positions", "[learned]") {
  for (std::int64_t d : {2, 6, 8, 64, 130}) {
    for (std::int64_t seq : {1, 7, 33}) {
      const std::int64_t batch = 2, max_len = 50;
      INFO("d=" << d << " seq=" << seq);
      const Case c = make_case(batch, seq, d, max_len);
      std::vector<std::int32_t> shared(static_cast<std::size_t>(seq)), per_batch(static_cast<std::size_t>(batch * seq));
      for (std::size_t i = 0; i < shared.size(); ++i) shared[i] = static_cast<std::int32_t>((i * 17 + 3) % max_len);
      for (std::size_t i = 0; i < per_batch.size(); ++i) per_batch[i] = static_cast<std::int32_t>((i * 29 + 11) % max_len);
      LearnedForwardOptions o;
      o.offset = 9;  // ignored when positions are given
      ref::Learned r;
      o.positions = shared;
      std::vector<std::int64_t> pos;
      for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t s = 0; s < seq; ++s) pos.push_back(shared[static_cast<std::size_t>(s)]);
      check::close(forward(c, o), ref::learned_forward(c.x, batch, seq, d, c.table, pos, r));
      o.positions = per_batch;
      pos.assign(per_batch.begin(), per_batch.end());
      check::close(forward(c, o), ref::learned_forward(c.x, batch, seq, d, c.table, pos, r));
    }
  }
}

TEST_CASE("learned forward with scale and LayerNorm (gamma/beta or none)", "[learned]") {
  for (std::int64_t d : {2, 6, 8, 64, 130}) {
    for (std::int64_t seq : {1, 7, 33}) {
      const std::int64_t batch = 3;
      INFO("d=" << d << " seq=" << seq);
      const Case c = make_case(batch, seq, d, 34);
      const auto gamma = check::random_floats(static_cast<std::size_t>(d), 21, 0.5f, 1.5f);
      const auto beta = check::random_floats(static_cast<std::size_t>(d), 22);
      LearnedForwardOptions o;
      o.offset = 1;
      o.scale = 2.5;
      o.use_ln = true;
      ref::Learned r;
      r.scale = 2.5;
      r.use_ln = true;
      std::vector<std::int64_t> pos;
      for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t s = 0; s < seq; ++s) pos.push_back(1 + s);
      check::close(forward(c, o), ref::learned_forward(c.x, batch, seq, d, c.table, pos, r));
      o.gamma = gamma;
      o.beta = beta;
      o.eps = 1e-3;
      r.gamma = gamma;
      r.beta = beta;
      r.eps = 1e-3;
      check::close(forward(c, o), ref::learned_forward(c.x, batch, seq, d, c.table, pos, r));
    }
  }
}

TEST_CASE("learned forward applies dropout last, in place too", "[learned]") {
  const Case c = make_case(2, 7, 8, 10);
  std::vector<std::uint8_t> keep(c.x.size());
  for (std::size_t i = 0; i < keep.size(); ++i) keep[i] = i % 3 != 0;
  LearnedForwardOptions o;
  o.use_ln = true;
  const auto plain = forward(c, o);
  o.dropout = {0.25, true, keep, 0};
  const auto dropped = forward(c, o);
  for (std::size_t i = 0; i < keep.size(); ++i) CHECK(dropped[i] == (keep[i] ? plain[i] * (1.0f / 0.75f) : 0.0f));
  auto inplace = c.x;
  posenc::learned_forward(inplace, 2, 7, 8, c.table, 10, 8, inplace, o);
  CHECK(inplace == dropped);
}

TEST_CASE("learned errors carry their codes and name the argument", "[learned][errors]") {
  const Case c = make_case(2, 3, 4, 5);
  std::vector<float> out(c.x.size());
  auto call = [&](LearnedForwardOptions o, std::int64_t batch = 2, std::int64_t seq = 3, std::int64_t d = 4,
                  std::int64_t max_len = 5, std::int64_t width = 4, const std::vector<float>* table = nullptr) {
    return [=, &c, &out] { posenc::learned_forward(c.x, batch, seq, d, table ? *table : c.table, max_len, width, out, o); };
  };
  LearnedForwardOptions o;
  auto with = [&](auto&& set) { LearnedForwardOptions m = o; set(m); return m; };
  check::throws_code(call(with([](auto& m) { m.scale = NAN; })), "NON_FINITE", "scale must be finite, got NaN");
  check::throws_code(call(with([](auto& m) { m.eps = INFINITY; })), "NON_FINITE", "eps must be finite, got Infinity");
  check::throws_code(call(with([](auto& m) { m.dropout.p = NAN; })), "NON_FINITE", "p must be finite");
  auto bad_table = c.table;
  bad_table[6] = NAN;
  check::throws_code(call(o, 2, 3, 4, 5, 4, &bad_table), "NON_FINITE", "table[6]");
  std::vector<float> bad_gamma{1, 1, NAN, 1};
  check::throws_code(call(with([&](auto& m) { m.gamma = bad_gamma; })), "NON_FINITE", "gamma[2]");
  check::throws_code(call(with([&](auto& m) { m.beta = bad_gamma; })), "NON_FINITE", "beta[2]");
  check::throws_code(call(o, 0), "BAD_SIZE", "batch must be a positive integer, got 0");
  check::throws_code(call(o, 2, 0), "BAD_SIZE", "seq");
  check::throws_code(call(o, 2, 3, -4), "BAD_SIZE", "d must");
  check::throws_code(call(o, 2, 3, 4, 0), "BAD_SIZE", "max_len");
  check::throws_code(call(o, 2, 3, 4, 5, 0), "BAD_SIZE", "table_width");
  check::throws_code(call(with([](auto& m) { m.scale = 0; })), "OUT_OF_RANGE", "scale must be greater than 0, got 0");
  check::throws_code(call(with([](auto& m) { m.eps = -1e-5; })), "OUT_OF_RANGE", "eps");
  check::throws_code(call(with([](auto& m) { m.dropout.p = 2; })), "OUT_OF_RANGE", "p must be in [0, 1], got 2");
  check::throws_code(call(o, 2, 3, 4, 4, 5), "SHAPE_MISMATCH", "table_width must equal d = 4, got 5");
  check::throws_code(call(o, 2, 3, 4, 6), "SHAPE_MISMATCH", "table must have 24 elements");
  std::vector<float> short_gamma(3, 1.0f);
  check::throws_code(call(with([&](auto& m) { m.gamma = short_gamma; })), "SHAPE_MISMATCH", "gamma must have 4");
  check::throws_code(call(with([&](auto& m) { m.beta = short_gamma; })), "SHAPE_MISMATCH", "beta must have 4");
  std::vector<std::int32_t> four_positions{0, 1, 2, 3};
  check::throws_code(call(with([&](auto& m) { m.positions = four_positions; })), "SHAPE_MISMATCH", "positions must have seq = 3");
  std::vector<std::uint8_t> short_mask(5, 1);
  check::throws_code(call(with([&](auto& m) { m.dropout = {0.5, true, short_mask, 0}; })), "SHAPE_MISMATCH", "keep_mask");
  check::throws_code(call(o, 1), "SHAPE_MISMATCH", "x must have 12 elements");
  check::throws_code(call(with([](auto& m) { m.offset = 3; })), "BAD_POSITION", "offset + seq must be at most max_len = 5, got 3 + 3");
  check::throws_code(call(with([](auto& m) { m.offset = -1; })), "BAD_POSITION", "offset must");
  std::vector<std::int32_t> far{0, 5, 1}, negative{0, -2, 1};
  check::throws_code(call(with([&](auto& m) { m.positions = far; })), "BAD_POSITION", "positions[1] must be in [0, max_len) = [0, 5), got 5");
  check::throws_code(call(with([&](auto& m) { m.positions = negative; })), "BAD_POSITION", "positions[1]");
  std::vector<float> short_out(11);
  check::throws_code([&] { posenc::learned_forward(c.x, 2, 3, 4, c.table, 5, 4, short_out, o); }, "SHAPE_MISMATCH", "out must");
}

// ---- LearnedPositionalEmbedding ----

TEST_CASE("LearnedPositionalEmbedding initialises N(0, 0.02^2) reproducibly on every build", "[modules][learned]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 64;
  cfg.max_len = 512;
  cfg.seed = 7;
  LearnedPositionalEmbedding a(cfg), b(cfg);
  CHECK(a.table() == b.table());
  double sum = 0, sum2 = 0;
  for (float v : a.table()) {
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(a.table().size());
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  CHECK(std::fabs(mean) <= 6 * 0.02 / std::sqrt(n));
  CHECK(std::fabs(sd - 0.02) <= 6 * 0.02 / std::sqrt(2 * n));  // the sample sd's standard error is σ/√(2n)
  // The same bits natively and in wasm (both builds run this test): values pinned once, from the native build.
  const float pinned[] = {0.0262220781f, 0.0177219585f, 0.0207380764f,  0.0437804312f,
                          -0.0102165053f, -0.0213630553f, 0.0167896599f, -0.00258899014f};
  for (std::size_t i = 0; i < sizeof pinned / sizeof pinned[0]; ++i) {
    INFO("table[" << i << "]");
    CHECK(a.table()[i] == pinned[i]);
  }
  CHECK(a.table().back() == -0.000983779202f);
  cfg.seed = 8;
  CHECK(LearnedPositionalEmbedding(cfg).table() != a.table());
  CHECK(a.gamma().empty());
  CHECK(a.relative_table().empty());
}

TEST_CASE("LearnedPositionalEmbedding forward matches learned_forward on its state", "[modules][learned]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 8;
  cfg.max_len = 20;
  cfg.dropout = 0.3;
  cfg.scale = 0.5;
  cfg.layer_norm = true;
  cfg.seed = 3;
  LearnedPositionalEmbedding pe(cfg);
  REQUIRE(pe.gamma() == std::vector<float>(8, 1.0f));
  REQUIRE(pe.beta() == std::vector<float>(8, 0.0f));
  pe.gamma() = check::random_floats(8, 1, 0.5f, 1.5f);  // state can be loaded
  pe.beta() = check::random_floats(8, 2);
  const std::int64_t batch = 2, seq = 7;
  const auto x = check::random_floats(static_cast<std::size_t>(batch * seq * cfg.dim), 5);
  std::vector<std::int32_t> positions{3, 1, 4, 1, 5, 9, 2};
  std::vector<float> got(x.size()), expected(x.size());
  posenc::LearnedForwardOptions o;
  o.positions = positions;
  o.scale = 0.5;
  o.use_ln = true;
  o.gamma = pe.gamma();
  o.beta = pe.beta();

  pe.train(false);
  pe.forward(x, batch, seq, got, 0, positions);
  posenc::learned_forward(x, batch, seq, 8, pe.table(), 20, 8, expected, o);
  CHECK(got == expected);

  pe.train();
  for (std::uint64_t call = 0; call < 2; ++call) {
    pe.forward(x, batch, seq, got, 0, positions);
    o.dropout = {0.3, true, {}, posenc::dropout_call_seed(3, call)};
    posenc::learned_forward(x, batch, seq, 8, pe.table(), 20, 8, expected, o);
    CHECK(got == expected);
  }
  pe.table()[0] = NAN;
  check::throws_code([&] { pe.forward(x, batch, seq, got, 0, positions); }, "NON_FINITE", "table[0]");
}

TEST_CASE("LearnedPositionalEmbedding construction errors", "[modules][learned][errors]") {
  auto make = [](auto&& set) {
    return [set] {
      LearnedPositionalEmbedding::Config c;
      c.dim = 8;
      set(c);
      LearnedPositionalEmbedding pe(c);
    };
  };
  using Config = LearnedPositionalEmbedding::Config;
  check::throws_code(make([](Config& c) { c.dropout = NAN; }), "NON_FINITE", "dropout");
  check::throws_code(make([](Config& c) { c.scale = INFINITY; }), "NON_FINITE", "scale");
  check::throws_code(make([](Config& c) { c.relative = true; c.num_heads = 0; }), "BAD_HEADS", "num_heads");
  check::throws_code(make([](Config& c) { c.dim = 0; }), "BAD_SIZE", "dim");
  check::throws_code(make([](Config& c) { c.max_len = -1; }), "BAD_SIZE", "max_len");
  check::throws_code(make([](Config& c) { c.relative = true; c.max_distance = -1; }), "BAD_SIZE", "max_distance");
  check::throws_code(make([](Config& c) { c.relative = true; c.max_distance = std::int64_t{1} << 62; }), "BAD_SIZE", "max_distance");
  check::throws_code(make([](Config& c) { c.dropout = -0.5; }), "OUT_OF_RANGE", "dropout");
  check::throws_code(make([](Config& c) { c.scale = -1; }), "OUT_OF_RANGE", "scale");
}

TEST_CASE("LearnedPositionalEmbedding relative_bias reads its clipped table", "[modules][learned][relative]") {
  LearnedPositionalEmbedding::Config cfg;
  cfg.dim = 4;
  cfg.relative = true;
  cfg.num_heads = 3;
  cfg.max_distance = 2;
  cfg.seed = 11;
  LearnedPositionalEmbedding pe(cfg);
  const auto& table = pe.relative_table();
  REQUIRE(table.size() == 5 * 3);
  const std::int64_t q_len = 3, k_len = 6;
  std::vector<float> out(static_cast<std::size_t>(3 * q_len * k_len));
  for (std::int64_t q_offset : {0, 3, 5}) {
    pe.relative_bias(q_len, k_len, q_offset, out);
    for (std::int64_t h = 0; h < 3; ++h)
      for (std::int64_t i = 0; i < q_len; ++i)
        for (std::int64_t j = 0; j < k_len; ++j) {
          const std::int64_t rel = std::max<std::int64_t>(-2, std::min<std::int64_t>(2, j - (q_offset + i)));
          CHECK(out[static_cast<std::size_t>((h * q_len + i) * k_len + j)] == table[static_cast<std::size_t>((rel + 2) * 3 + h)]);
        }
  }
  cfg.relative = false;
  const LearnedPositionalEmbedding plain(cfg);
  check::throws_code([&] { plain.relative_bias(q_len, k_len, std::nullopt, out); }, "SHAPE_MISMATCH", "relative");
}

// ---- gradients ----

namespace {

// v = x + scale·table[pos] (then LayerNorm), in float64.
std::vector<double> learned64(const std::vector<double>& x, const std::vector<double>& table, const std::vector<int>& pos, int rows,
                              int d, double scale, bool use_ln, const std::vector<double>& gamma, const std::vector<double>& beta) {
  std::vector<double> v(x.size());
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < d; ++i) v[r * d + i] = x[r * d + i] + scale * table[pos[r] * d + i];
  return use_ln ? ref::layer_norm(v, rows, d, gamma, beta, 1e-5) : v;
}

}  // namespace

TEST_CASE("learned_backward: dx, the scatter-added table gradient, and LayerNorm's gamma and beta", "[learned][backward]") {
  const int B = 2, S = 3, d = 5, max_len = 6;
  for (bool use_ln : {false, true}) {
    for (bool explicit_positions : {false, true}) {
      INFO("use_ln " << use_ln << " positions " << explicit_positions);
      const std::vector<std::int32_t> positions = {4, 1, 4};  // (seq,): row 4 used twice per batch row
      std::vector<int> pos;
      for (int b = 0; b < B; ++b)
        for (int s = 0; s < S; ++s) pos.push_back(explicit_positions ? positions[s] : 2 + s);
      const auto x = check::random_floats(B * S * d, 1);
      const auto table = check::random_floats(max_len * d, 2);
      const auto gamma = check::random_floats(d, 3, 0.5f, 1.5f);
      const auto beta = check::random_floats(d, 4);
      const auto dy = check::random_floats(B * S * d, 5);
      posenc::LearnedForwardOptions opt;
      opt.scale = 1.5;
      opt.use_ln = use_ln;
      opt.gamma = gamma;
      opt.beta = beta;
      if (explicit_positions) opt.positions = positions;
      else opt.offset = 2;
      std::vector<float> dx(x.size(), 0.0f), dt(table.size(), 0.0f), dg(d, 0.0f), db(d, 0.0f);
      posenc::learned_backward(dy, x, B, S, d, table, max_len, d, {dx, dt, dg, db}, opt);
      const auto x64 = ref::widen(x), t64 = ref::widen(table), g64 = ref::widen(gamma), b64 = ref::widen(beta),
                 dy64 = ref::widen(dy);
      const int rows = B * S;
      check::close(dx, ref::vjp([&](const std::vector<double>& v) { return learned64(v, t64, pos, rows, d, 1.5, use_ln, g64, b64); }, x64, dy64),
                   5e-5, 1e-4);
      check::close(dt, ref::vjp([&](const std::vector<double>& t) { return learned64(x64, t, pos, rows, d, 1.5, use_ln, g64, b64); }, t64, dy64),
                   5e-5, 1e-4);
      if (use_ln) {
        check::close(dg, ref::vjp([&](const std::vector<double>& g) { return learned64(x64, t64, pos, rows, d, 1.5, true, g, b64); }, g64, dy64),
                     5e-5, 1e-4);
        check::close(db, ref::vjp([&](const std::vector<double>& bb) { return learned64(x64, t64, pos, rows, d, 1.5, true, g64, bb); }, b64, dy64),
                     5e-5, 1e-4);
      }
    }
  }
}

TEST_CASE("learned_backward with dropout uses the same keep mask", "[learned][backward]") {
  const int B = 1, S = 2, d = 2;
  const std::vector<float> x(4, 0.0f), table(4, 0.0f), dy = {1, 2, 3, 4};
  const std::vector<std::uint8_t> keep = {1, 0, 0, 1};
  posenc::LearnedForwardOptions opt;
  opt.dropout = {0.5, true, keep, 0};
  std::vector<float> dx(4, 0.0f), dt(4, 0.0f);
  posenc::learned_backward(dy, x, B, S, d, table, 2, d, {dx, dt, {}, {}}, opt);
  check::close(dx, std::vector<double>{2, 0, 0, 8});
  check::close(dt, std::vector<double>{2, 0, 0, 8});
}

TEST_CASE("learned_backward errors", "[learned][backward][errors]") {
  std::vector<float> x(6), table(6), dx(6), dt(6), bad(5);
  posenc::LearnedForwardOptions opt;
  check::throws_code([&] { posenc::learned_backward(x, x, 1, 2, 3, table, 2, 3, {dx, bad, {}, {}}, opt); }, "SHAPE_MISMATCH", "d_table");
  check::throws_code([&] { posenc::learned_backward(x, x, 1, 2, 3, table, 2, 3, {bad, dt, {}, {}}, opt); }, "SHAPE_MISMATCH", "dx");
  opt.offset = 1;
  check::throws_code([&] { posenc::learned_backward(x, x, 1, 2, 3, table, 2, 3, {dx, dt, {}, {}}, opt); }, "BAD_POSITION", "max_len");
}

TEST_CASE("learned_forward rejects a scale past 1e6 (a float32 Inf before)", "[learned][errors]") {
  std::vector<float> x(4, 1.0f), table(8, 0.5f), out(4);
  posenc::LearnedForwardOptions o;
  o.scale = 1e39;
  check::throws_code([&] { posenc::learned_forward(x, 1, 1, 4, table, 2, 4, out, o); }, "OUT_OF_RANGE", "at most 1e6");
  o.scale = 1e6;
  posenc::learned_forward(x, 1, 1, 4, table, 2, 4, out, o);
  for (float v : out) CHECK(std::isfinite(v));
}
