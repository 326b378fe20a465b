#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "check.hpp"
#include "posenc/alibi.hpp"
#include "posenc/attention_backward.hpp"
#include "reference/gradients.hpp"

namespace {

struct Case {
  ref::SdpaCase c;
  bool bias = false, sinks = false, alibi = false;
};

void check_case(const Case& cs) {
  const ref::SdpaCase& c = cs.c;
  INFO("B " << c.B << " H " << c.H << " Hkv " << c.Hkv << " Q " << c.Q << " K " << c.K << " D " << c.D << " Dv " << c.Dv
            << " causal " << c.causal << " q_offset " << c.q_offset << " bias " << cs.bias << " batch-bias " << c.bias_batch
            << " sinks " << cs.sinks << " alibi " << cs.alibi);
  const auto q = check::random_floats(static_cast<std::size_t>(c.B * c.H * c.Q * c.D), 1, -1.5f, 1.5f);
  const auto k = check::random_floats(static_cast<std::size_t>(c.B * c.Hkv * c.K * c.D), 2, -1.5f, 1.5f);
  const auto v = check::random_floats(static_cast<std::size_t>(c.B * c.Hkv * c.K * c.Dv), 3);
  const auto dout = check::random_floats(static_cast<std::size_t>(c.B * c.H * c.Q * c.Dv), 4);
  std::vector<float> bias, sinks;
  if (cs.bias) bias = check::random_floats(static_cast<std::size_t>((c.bias_batch ? c.B : 1) * c.H * c.Q * c.K), 5);
  if (cs.sinks) sinks = check::random_floats(static_cast<std::size_t>(c.H), 6, -1.0f, 2.0f);
  ref::SdpaCase rc = c;
  posenc::SdpaBackwardOptions opt;
  opt.causal = c.causal;
  opt.q_offset = c.q_offset;
  opt.scale = c.scale;
  opt.kv_heads = c.Hkv;
  opt.bias = bias;
  opt.bias_has_batch = c.bias_batch;
  opt.sinks = sinks;
  if (cs.alibi) {
    opt.alibi = posenc::AlibiMode::Causal;
    rc.slopes = posenc::alibi_slopes(c.H);
  }
  std::vector<float> dq(q.size(), 0.0f), dk(k.size(), 0.0f), dv(v.size(), 0.0f), db(bias.size(), 0.0f), ds(sinks.size(), 0.0f);
  posenc::sdpa_backward(q, k, v, dout, {c.B, c.H, c.Q, c.K, c.D, c.Dv}, {dq, dk, dv, db, ds}, opt);
  const auto q64 = ref::widen(q), k64 = ref::widen(k), v64 = ref::widen(v), b64 = ref::widen(bias), s64 = ref::widen(sinks),
             d64 = ref::widen(dout);
  const double tol = 5e-5;
  check::close(dq, ref::vjp([&](const std::vector<double>& x) { return ref::sdpa(x, k64, v64, b64, s64, rc); }, q64, d64), tol, 1e-4);
  check::close(dk, ref::vjp([&](const std::vector<double>& x) { return ref::sdpa(q64, x, v64, b64, s64, rc); }, k64, d64), tol, 1e-4);
  check::close(dv, ref::vjp([&](const std::vector<double>& x) { return ref::sdpa(q64, k64, x, b64, s64, rc); }, v64, d64), tol, 1e-4);
  if (cs.bias)
    check::close(db, ref::vjp([&](const std::vector<double>& x) { return ref::sdpa(q64, k64, v64, x, s64, rc); }, b64, d64), tol, 1e-4);
  if (cs.sinks)
    check::close(ds, ref::vjp([&](const std::vector<double>& x) { return ref::sdpa(q64, k64, v64, b64, x, rc); }, s64, d64), tol, 1e-4);
}

}  // namespace

TEST_CASE("sdpa_backward matches finite differences of float64 attention", "[attention][backward]") {
  for (int D : {1, 3, 8, 17}) {
    for (bool causal : {false, true}) {
      Case cs;
      cs.c = {2, 2, 2, 5, 7, D, D == 1 ? 2 : D, 1.0 / std::sqrt(static_cast<double>(D)), causal, 2};
      check_case(cs);
    }
  }
}

TEST_CASE("sdpa_backward with bias, ALiBi, sinks, q_offset and custom scale", "[attention][backward]") {
  Case cs;
  cs.c = {1, 3, 3, 4, 6, 5, 4, 0.7, true, 1};
  cs.bias = true;
  check_case(cs);
  cs.c.bias_batch = true;
  cs.c.B = 2;
  check_case(cs);
  cs.alibi = true;
  check_case(cs);
  cs.sinks = true;
  check_case(cs);
  cs.bias = false;
  cs.alibi = false;
  cs.c.causal = false;
  check_case(cs);
}

TEST_CASE("sdpa_backward with grouped-query heads sums kv gradients over each group", "[attention][backward]") {
  for (std::int64_t hkv : {1, 2, 4}) {
    Case cs;
    cs.c = {2, 4, hkv, 3, 5, 4, 3, 0.5, true, 2};
    cs.sinks = hkv == 2;
    check_case(cs);
  }
}

TEST_CASE("sdpa_backward errors name the argument", "[attention][backward][errors]") {
  std::vector<float> q(1 * 4 * 2 * 2), k(1 * 4 * 2 * 2), v(1 * 4 * 2 * 2), dout(q.size());
  std::vector<float> dq(q.size()), dk(k.size()), dv(v.size()), bad(3);
  posenc::SdpaBackwardOptions opt;
  const posenc::AttentionShape shape{1, 4, 2, 2, 2, 2};
  opt.kv_heads = 3;
  check::throws_code([&] { posenc::sdpa_backward(q, k, v, dout, shape, {dq, dk, dv, {}, {}}, opt); }, "BAD_HEADS", "kv_heads");
  opt.kv_heads = 0;
  check::throws_code([&] { posenc::sdpa_backward(q, k, v, dout, shape, {dq, bad, dv, {}, {}}, opt); }, "SHAPE_MISMATCH", "dk");
  opt.sinks = bad;
  check::throws_code([&] { posenc::sdpa_backward(q, k, v, dout, shape, {dq, dk, dv, {}, {}}, opt); }, "SHAPE_MISMATCH", "sinks");
  opt.sinks = {};
  check::throws_code([&] { posenc::sdpa_backward(q, k, v, dout, shape, {dq, dk, dv, bad, {}}, opt); }, "SHAPE_MISMATCH", "d_bias");
  opt.scale = -1.0;
  check::throws_code([&] { posenc::sdpa_backward(q, k, v, dout, shape, {dq, dk, dv, {}, {}}, opt); }, "OUT_OF_RANGE", "scale");
}
