// xPos (Sun et al. 2022, arXiv:2212.10554). x, out: [batch, heads, seq, head_dim]. Pair j of a
// query at position n is rotated by n·inv_j and scaled by ζ_j^((n−c)/B) (a key by the reciprocal); the
// scaled rotation of each pair is formed in float64 and rounded once.
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

namespace {

// |ln| of the largest scale: e^80 ≈ 5.5e34 keeps x·scale inside float32 (3.4e38) for |x| up to ~6000.
constexpr double kMaxXposExponent = 80;

// One head_dim row (out may be x): pair j rotated by the angle whose scaled cos and sin are c[j], s[j].
void xpos_rotate_row(const float* x, float* out, std::size_t half, RopeLayout layout, const double* c,
                     const double* s) {
  const bool interleaved = layout == RopeLayout::Interleaved;
  const std::size_t step = interleaved ? 2 : 1, partner = interleaved ? 1 : half;
  for (std::size_t j = 0; j < half; ++j) {
    const std::size_t a = j * step, b = a + partner;
    const double u = x[a], v = x[b];
    out[a] = static_cast<float>(u * c[j] - v * s[j]);
    out[b] = static_cast<float>(u * s[j] + v * c[j]);
  }
}

}  // namespace

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
  if (worst > kMaxXposExponent) {
    fail(ErrorCode::OutOfRange, "|(n - center)/scale_base * ln zeta_0| must be at most 80 (the scale e^80 = 5.5e34 "
                                "leaves float32 room for the result), got " +
                                    format_number(worst) + " at position n = " + format_number(worst_n) +
                                    " with center " + format_number(options.center) + "; move center closer");
  }

  const double sign = options.role == XposRole::Query ? 1.0 : -1.0;
  const auto batch = static_cast<std::size_t>(shape.batch), heads = static_cast<std::size_t>(shape.heads);
  const std::size_t row_len = seq * static_cast<std::size_t>(d);
  // One position at a time, all in float64: the scale multiplies whatever error the angle carries, so a
  // float32 cos/sin (~6e-8) times a scale of 1e4 would already miss a 2e-6 tolerance.
  std::vector<double> c = allocate<double>("the xPos cos table", half);
  std::vector<double> sn = allocate<double>("the xPos sin table", half);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t s = 0; s < seq; ++s) {
      const double p = static_cast<double>(pos.at(static_cast<std::int64_t>(r), static_cast<std::int64_t>(s)));
      const double e = sign * (p - options.center) / options.scale_base;
      for (std::size_t j = 0; j < half; ++j) {
        const double angle = reduce_angle(p * inv_freq[j]), scale = std::exp(e * log_zeta[j]);
        c[j] = std::cos(angle) * scale;
        sn[j] = std::sin(angle) * scale;
      }
      // Position row r serves batch row r (per-batch positions) or every batch row.
      const std::size_t b0 = rows > 1 ? r : 0, b1 = rows > 1 ? r + 1 : batch;
      for (std::size_t b = b0; b < b1; ++b) {
        for (std::size_t h = 0; h < heads; ++h) {
          const std::size_t at = (b * heads + h) * row_len + s * static_cast<std::size_t>(d);
          xpos_rotate_row(x.data() + at, out.data() + at, half, options.layout, c.data(), sn.data());
        }
      }
    }
  }
}

void xpos_backward(Span<const float> dy, const Bhsd& shape, Span<float> dx, const XposOptions& options) {
  // xPos rotates every dim; an odd head_dim is rejected by xpos_apply, so only whole pairs are reflected.
  const auto d_rot = static_cast<std::size_t>(shape.head_dim > 0 ? shape.head_dim : 0) & ~std::size_t{1};
  add_transposed_rotation(dy, shape, dx, d_rot, options.layout, [&](Span<float> g) { xpos_apply(g, shape, g, options); });
}

}  // namespace posenc
