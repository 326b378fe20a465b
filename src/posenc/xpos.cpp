// xPos (Sun et al. 2022, arXiv:2212.10554). x, out: [batch, heads, seq, head_dim]. Pair j of a
// query at position n is rotated by n·inv_j and scaled by ζ_j^((n−c)/B) (a key by the reciprocal); the
// scale is folded into the cos/sin tables, one per distinct position row, and rope_rotate does the rest.
#include "posenc/xpos.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "posenc/angles.hpp"
#include "posenc/error.hpp"
#include "posenc/positions.hpp"
#include "posenc/rope_kernel.hpp"
#include "posenc/shapes.hpp"
#include "posenc/pair_reflection.hpp"

namespace posenc {

XposRole parse_xpos_role(const std::string& role) {
  if (role == "q") return XposRole::Query;
  if (role == "k") return XposRole::Key;
  fail(ErrorCode::OutOfRange, "role must be 'q' or 'k', got '" + role + "'");
}

void xpos_apply(Span<const float> x, const Bhsd& shape, Span<float> out, const XposOptions& options) {
  require_finite("base", options.base);
  require_finite("gamma", options.gamma);
  require_finite("scale_base", options.scale_base);
  require_finite("center", options.center);
  require_sizes(shape);
  require_even("head_dim", shape.head_dim);
  require_range(options.base > 1, "base", options.base, "be greater than 1");
  require_range(options.gamma > 0, "gamma", options.gamma, "be > 0 (zeta_0 = gamma/(1+gamma) must be positive)");
  require_range(options.scale_base > 0, "scale_base", options.scale_base, "be > 0");
  const PositionRows pos = validate_bhsd_positions(x, out, shape, options.positions, options.offset);

  const std::int64_t d = shape.head_dim;
  const auto half = static_cast<std::size_t>(d / 2);
  const auto seq = static_cast<std::size_t>(shape.seq);
  const auto rows = static_cast<std::size_t>(pos.distinct_rows());
  const std::vector<double> inv_freq = inverse_frequencies(d, options.base);
  std::vector<double> log_zeta = allocate<double>("the xPos scale table", half);
  for (std::size_t j = 0; j < half; ++j) {
    const double jd = static_cast<double>(j);
    log_zeta[j] = std::log((2.0 * jd / static_cast<double>(d) + options.gamma) / (1.0 + options.gamma));
  }
  // ζ_0 has the largest |ln ζ| (ζ_j grows with j), so the farthest position from the centre decides.
  double worst = 0, worst_n = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t s = 0; s < seq; ++s) {
      const double p = static_cast<double>(pos.at(static_cast<std::int64_t>(r), static_cast<std::int64_t>(s)));
      const double e = std::fabs((p - options.center) / options.scale_base * log_zeta[0]);
      if (e > worst) {
        worst = e;
        worst_n = p;
      }
    }
  }
  if (worst > 700) {
    fail(ErrorCode::OutOfRange, "|(n - center)/scale_base * ln zeta_0| must be at most 700 (float64 range), got " +
                                    format_number(worst) + " at position n = " + format_number(worst_n) +
                                    " with center " + format_number(options.center) + "; move center closer");
  }

  const double sign = options.role == XposRole::Query ? 1.0 : -1.0;
  rope_rotate_blocked(x, shape, out, half * 2, options.layout, rows > 1, false,
                      [&](std::size_t row, std::size_t s0, std::size_t count, float* c, float* s) {
                        for (std::size_t i = 0; i < count; ++i) {
                          const double p = static_cast<double>(
                              pos.at(static_cast<std::int64_t>(row), static_cast<std::int64_t>(s0 + i)));
                          float* ci = c + i * half;
                          float* si = s + i * half;
                          sincos_at(p, inv_freq.data(), half, si, ci);
                          const double e = sign * (p - options.center) / options.scale_base;
                          for (std::size_t j = 0; j < half; ++j) {
                            const double scale = std::exp(e * log_zeta[j]);
                            ci[j] = static_cast<float>(ci[j] * scale);
                            si[j] = static_cast<float>(si[j] * scale);
                          }
                        }
                      });
}

void xpos_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const XposOptions& options) {
  std::vector<float> g(dy.begin(), dy.end());
  const auto rows = static_cast<std::size_t>(shape.batch > 0 && shape.heads > 0 && shape.seq > 0
                                                 ? shape.batch * shape.heads * shape.seq
                                                 : 0);
  const auto head_dim = static_cast<std::size_t>(shape.head_dim > 0 ? shape.head_dim : 0);
  const bool reflectable = g.size() == rows * head_dim;
  // xPos rotates every dim; an odd head_dim is rejected by xpos_apply below, so only whole pairs are reflected.
  const std::size_t d_rot = head_dim & ~std::size_t{1};
  if (reflectable) reflect_pairs(g.data(), rows, head_dim, d_rot, options.layout);
  xpos_apply(g, shape, g, options);
  require_length("dx", dx.size(), g.size());
  reflect_pairs(g.data(), rows, head_dim, d_rot, options.layout);
  for (std::size_t i = 0; i < g.size(); ++i) dx[i] += g[i];
}

}  // namespace posenc
