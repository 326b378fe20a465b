#include <catch2/catch.hpp>

#include <vector>

#include "check.hpp"
#include "posenc/learned_backward.hpp"
#include "reference/gradients.hpp"

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
