// Learned absolute position embedding (GPT-2 wpe, BERT position_embeddings; SPEC §2).
// x, out: [batch, seq, d]; table: [max_len, d]; positions: (seq,) shared by every batch row, (batch, seq),
// or none (offset + s). v = x + scale · table[pos] row by row (SIMD fma, scalar tail), then LayerNorm over
// d if use_ln (layer_norm.cpp), then dropout (dropout.cpp). All checks run before out is written.
#include "posenc/learned.hpp"

#include <cmath>
#include <string>

#include "posenc/error.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/row_add.hpp"

namespace posenc {

void learned_forward(Span<const float> x, std::int64_t batch, std::int64_t seq, std::int64_t d,
                     Span<const float> table, std::int64_t max_len, std::int64_t table_width, Span<float> out,
                     const LearnedForwardOptions& options) {
  // SPEC §10 order: NON_FINITE, BAD_SIZE, OUT_OF_RANGE, SHAPE_MISMATCH, BAD_POSITION.
  require_finite("scale", options.scale);
  require_finite("eps", options.eps);
  require_finite("p", options.dropout.p);
  require_finite_entries("table", table.data(), table.size());
  require_finite_entries("gamma", options.gamma.data(), options.gamma.size());
  require_finite_entries("beta", options.beta.data(), options.beta.size());
  require_size("batch", batch);
  require_size("seq", seq);
  require_size("d", d);
  require_size("max_len", max_len);
  require_size("table_width", table_width);
  require_range(options.scale > 0, "scale", options.scale, "be greater than 0");
  require_range(options.eps > 0, "eps", options.eps, "be greater than 0");
  const std::size_t n = element_count({batch, seq, d});
  validate_dropout(options.dropout, n);
  if (table_width != d) {
    fail(ErrorCode::ShapeMismatch, "table_width must equal d = " + std::to_string(d) + ", got " +
                                       std::to_string(table_width));
  }
  require_length("table", table.size(), element_count({max_len, table_width}));
  if (!options.gamma.empty()) require_length("gamma", options.gamma.size(), static_cast<std::size_t>(d));
  if (!options.beta.empty()) require_length("beta", options.beta.size(), static_cast<std::size_t>(d));
  const std::size_t rows = static_cast<std::size_t>(batch) * static_cast<std::size_t>(seq);
  const bool per_batch = options.positions.size() == rows;
  if (!options.positions.empty() && !per_batch && options.positions.size() != static_cast<std::size_t>(seq)) {
    fail(ErrorCode::ShapeMismatch, "positions must have seq = " + std::to_string(seq) + " or batch·seq = " +
                                       std::to_string(rows) + " elements, got " +
                                       std::to_string(options.positions.size()));
  }
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  if (options.positions.empty()) {
    require_position("offset", options.offset);
    if (options.offset + seq > max_len) {
      fail(ErrorCode::BadPosition, "offset + seq must be at most max_len = " + std::to_string(max_len) + ", got " +
                                       std::to_string(options.offset) + " + " + std::to_string(seq));
    }
  } else {
    for (std::size_t i = 0; i < options.positions.size(); ++i) {
      const std::int32_t p = options.positions[i];
      if (p < 0 || p >= max_len) {
        fail(ErrorCode::BadPosition, "positions[" + std::to_string(i) + "] must be in [0, max_len) = [0, " +
                                         std::to_string(max_len) + "), got " + std::to_string(p));
      }
    }
  }

  const std::size_t width = static_cast<std::size_t>(d), length = static_cast<std::size_t>(seq);
  const float scale = static_cast<float>(options.scale);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t s = r % length;
    const std::int64_t pos = options.positions.empty() ? options.offset + static_cast<std::int64_t>(s)
                             : per_batch               ? options.positions[r]
                                                       : options.positions[s];
    add_scaled_row(x.data() + r * width, table.data() + static_cast<std::size_t>(pos) * width, scale,
                   out.data() + r * width, width);
  }
  if (options.use_ln) {
    layer_norm(out, static_cast<std::int64_t>(rows), d, options.gamma, options.beta, options.eps, out);
  }
  dropout_in_place(out, options.dropout);
}

}  // namespace posenc
