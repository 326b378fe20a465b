// SinusoidalPositionalEncoding (the seed's PyTorch module; SPEC §1): owns the (max_len, dim) `pe` buffer,
// built once at construction; forward adds rows offset … offset+seq−1 to every batch row (SIMD add),
// then, in train mode, dropout with a fresh mask per call drawn from (seed, call counter).
#include <string>

#include "posenc/dropout.hpp"
#include "posenc/error.hpp"
#include "posenc/modules.hpp"
#include "posenc/row_add.hpp"
#include "posenc/sinusoidal.hpp"

namespace posenc {

namespace {

std::int64_t validated_dim(std::int64_t dim, std::int64_t max_len, double dropout, double base) {
  require_finite("dropout", dropout);
  require_finite("base", base);
  require_size("dim", dim);
  require_size("max_len", max_len);
  require_even("dim", dim);
  require_range(dropout >= 0 && dropout <= 1, "dropout", dropout, "be in [0, 1]");
  require_range(base > 1, "base", base, "be greater than 1");
  return dim;
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::int64_t dim, std::int64_t max_len, double dropout,
                                                           double base, std::uint64_t seed)
    : dim_(validated_dim(dim, max_len, dropout, base)),
      max_len_(max_len),
      p_(dropout),
      seed_(seed),
      table_(sinusoidal_table(max_len, dim, {base, 0, max_len})) {}

void SinusoidalPositionalEncoding::forward(Span<const float> x, std::int64_t batch, std::int64_t seq, Span<float> out,
                                           std::int64_t offset) {
  require_size("batch", batch);
  require_size("seq", seq);
  const std::size_t n = element_count({batch, seq, dim_});
  require_length("x", x.size(), n);
  require_length("out", out.size(), n);
  require_position("offset", offset);
  if (offset + seq > max_len_) {
    fail(ErrorCode::BadPosition, "offset + seq must be at most max_len = " + std::to_string(max_len_) + ", got " +
                                     std::to_string(offset) + " + " + std::to_string(seq));
  }
  const std::size_t row = static_cast<std::size_t>(dim_);
  add_rows_to_batch(x.data(), static_cast<std::size_t>(batch), table_.data() + static_cast<std::size_t>(offset) * row,
                    static_cast<std::size_t>(seq) * row, out.data());
  const DropoutOptions dropout{p_, training_, {}, dropout_call_seed(seed_, calls_)};
  if (dropout_active(dropout)) {
    dropout_in_place(out, dropout);
    ++calls_;
  }
}

}  // namespace posenc
