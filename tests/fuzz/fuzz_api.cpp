// libFuzzer target over the public C++ API: the input bytes choose a function family and its arguments
// (sizes mostly small, sometimes extreme; parameters mostly ordinary, sometimes extreme or non-finite;
// tensor data in [-8, 8]). Every call must either throw posenc::Error with a known code, or return with
// every output finite when every parameter was finite. Anything else (another exception, a sanitizer
// report, a non-finite output) stops the run: that input belongs in tests/fuzz/corpus/.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/dropout.hpp"
#include "posenc/error.hpp"
#include "posenc/kv_cache.hpp"
#include "posenc/layer_norm.hpp"
#include "posenc/learned.hpp"
#include "posenc/relative.hpp"
#include "posenc/rope.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/tiny_transformer.hpp"
#include "posenc/xpos.hpp"

namespace {

using namespace posenc;

// Buffers are allocated by the declared size up to this many elements; past it, a short buffer is passed
// and the call must fail (BAD_SIZE or SHAPE_MISMATCH) before touching it.
constexpr std::size_t kMaxElements = 1 << 14;

[[noreturn]] void bug(const char* what) {
  std::fprintf(stderr, "fuzz_api: %s\n", what);
  std::abort();
}

std::int32_t wrap32(std::uint64_t v) {
  const auto low = static_cast<std::uint32_t>(v);
  std::int32_t r;
  std::memcpy(&r, &low, sizeof r);
  return r;
}

// a·b and a + b as the harness forms sizes, saturating instead of overflowing (the API sees the extreme).
std::int64_t mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? (a < 0 ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max()) : r;
}
std::int64_t add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<std::int64_t>::max() : r;
}

// Reads the input as a stream of choices; past its end every read is 0.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
  bool flag() { return byte() & 1; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  // Mostly [0, small]; one time in 16 an extreme value.
  std::int64_t size(std::int64_t small = 8) {
    const std::uint8_t b = byte();
    if ((b & 0xF0) != 0xF0) return b % (small + 1);
    static constexpr std::int64_t kWild[] = {-1, 0, 1, 255, 256, 257, 4096, 65536, 2147483647, 2147483648LL,
                                             std::int64_t{1} << 40, std::int64_t{1} << 56,
                                             std::numeric_limits<std::int64_t>::max(),
                                             std::numeric_limits<std::int64_t>::min(), -2147483648LL, 1000003};
    return kWild[b & 0x0F];
  }
  std::int64_t position() {
    const std::uint8_t b = byte();
    if (b < 0xC0) return b;
    if (b < 0xF0) return static_cast<std::int64_t>(u32() % 3000000000u);
    return size();
  }
  // Mostly a value near `typical`; sometimes an extreme finite value; rarely NaN or Infinity.
  double param(double typical) {
    const std::uint8_t b = byte();
    if (b < 0x80) return typical;
    if (b < 0xC0) return typical * (0.25 + (b & 0x3F) / 16.0);
    static constexpr double kWild[] = {0.0, -1.0, 1e-320, 1e-300, 1e-30, 1e-6, 0.5, 1.0, 2.0, 1e6, 1e7,
                                       1e38, 1e39, 1e300, 1152921504606846976.0 /* 2^60 */, 65536.0,
                                       40000.0, -1e6, 7.0, 1e4};
    if (b < 0xFC) return kWild[(b - 0xC0) % (sizeof kWild / sizeof kWild[0])];
    nonfinite = true;
    return b & 1 ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  }
  std::vector<float> floats(std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(static_cast<std::int8_t>(byte())) / 16.0f;
    return v;
  }
  std::vector<std::int32_t> ints(std::size_t n) {
    std::vector<std::int32_t> v(n);
    // Positions past int32 wrap (negative values are part of what is tested); never a signed overflow.
    for (auto& x : v) x = wrap32(static_cast<std::uint64_t>(position()) - (flag() && flag() ? 3u : 0u));
    return v;
  }
  std::vector<std::uint8_t> bits(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (auto& x : v) x = byte() & 1;
    return v;
  }

  bool nonfinite = false;  // a parameter was NaN or Infinity: outputs are not checked

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

double product(std::initializer_list<std::int64_t> dims) {
  double p = 1;
  for (std::int64_t d : dims) p *= static_cast<double>(d);
  return p;
}
bool fits(std::initializer_list<std::int64_t> dims) { return product(dims) <= static_cast<double>(kMaxElements); }

// The buffer length to allocate for a declared element count: the count when small, else a short one.
std::size_t length_for(std::initializer_list<std::int64_t> dims) {
  const double p = product(dims);
  if (p < 0) return 0;
  return p <= static_cast<double>(kMaxElements) ? static_cast<std::size_t>(p) : 7;
}

void require_finite_output(const Input& in, const std::vector<float>& out) {
  if (in.nonfinite) return;
  for (float v : out) {
    if (!std::isfinite(v)) bug("non-finite output from finite input");
  }
}

Bhsd bhsd(Input& in) { return {in.size(3), in.size(4), in.size(40), add(mul(2, in.size(6)), in.byte() % 16 == 0)}; }

RopeScaling scaling(Input& in, std::int64_t half) {
  RopeScaling s;
  s.type = static_cast<RopeType>(in.byte() % 6);
  if (in.flag()) s.factor = in.param(4.0);
  if (in.flag()) s.original_max_position_embeddings = mul(in.size(64), 64);
  if (in.flag()) s.attention_factor = in.param(1.0);
  if (in.flag()) s.beta_fast = in.param(32.0);
  if (in.flag()) s.beta_slow = in.param(1.0);
  if (in.flag()) {
    s.mscale = in.param(1.0);
    s.mscale_all_dim = in.param(1.0);
  }
  s.truncate = in.flag();
  if (in.flag()) s.low_freq_factor = in.param(1.0);
  if (in.flag()) s.high_freq_factor = in.param(4.0);
  if (s.type == RopeType::LongRope) {
    const auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(half, 64)) + (in.flag() ? 1 : 0));
    for (std::size_t i = 0; i < n; ++i) s.short_factor.push_back(in.param(1.0));
    for (std::size_t i = 0; i < n; ++i) s.long_factor.push_back(in.param(2.0));
  }
  return s;
}

void fuzz_sinusoidal(Input& in) {
  const std::int64_t max_len = in.size(64), d = in.size(16);
  SinusoidalTableOptions o;
  o.base = in.param(10000.0);
  o.start = in.position() % 80;
  if (in.flag()) o.count = in.size(64);
  std::vector<float> out(length_for({o.count.value_or(max_len > 0 ? max_len - o.start : 0), d}));
  sinusoidal_table(max_len, d, out, o);
  require_finite_output(in, out);
  if (in.flag()) {
    const std::int64_t batch = in.size(3), seq = in.size(16);
    auto x = in.floats(length_for({batch, seq, d}));
    std::vector<float> y(x.size());
    SinusoidalForwardOptions f;
    f.max_len = max_len;
    f.offset = in.position();
    f.base = o.base;
    f.dropout = {in.param(0.1), in.flag(), {}, in.u32()};
    sinusoidal_forward(x, batch, seq, d, y, f);
    require_finite_output(in, y);
  }
}

void fuzz_learned(Input& in) {
  const std::int64_t batch = in.size(3), seq = in.size(8), d = in.size(16), max_len = in.size(32);
  auto x = in.floats(length_for({batch, seq, d}));
  auto table = in.floats(length_for({max_len, d}));
  std::vector<float> out(x.size());
  LearnedForwardOptions o;
  o.offset = in.position();
  std::vector<std::int32_t> pos;
  if (in.flag()) pos = in.ints(length_for({in.flag() ? batch : 1, seq}));
  o.positions = pos;
  o.scale = in.param(1.0);
  o.use_ln = in.flag();
  auto gamma = in.floats(in.flag() ? static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(d, 64))) : 0);
  o.gamma = gamma;
  o.eps = in.param(1e-5);
  o.dropout = {in.param(0.1), in.flag(), {}, in.u32()};
  learned_forward(x, batch, seq, d, table, max_len, d, out, o);
  require_finite_output(in, out);
  if (in.flag()) {
    LearnedPositionalEmbedding::Config c;
    c.dim = d;
    c.max_len = max_len;
    c.dropout = in.param(0.1);
    c.scale = o.scale;
    c.layer_norm = o.use_ln;
    c.relative = in.flag();
    c.num_heads = in.size(4);
    c.max_distance = in.size(8);
    LearnedPositionalEmbedding m(c);
    m.forward(x, batch, seq, out, o.offset, pos);
    require_finite_output(in, out);
    if (c.relative) {
      const std::int64_t q = in.size(8), k = in.size(8);
      std::vector<float> bias(length_for({c.num_heads, q, k}));
      m.relative_bias(q, k, in.flag() ? std::optional<std::int64_t>(in.position()) : std::nullopt, bias);
      require_finite_output(in, bias);
    }
  }
}

void fuzz_relative(Input& in) {
  T5BucketOptions o{in.flag(), in.size(40), in.size(200)};
  auto rel = in.ints(static_cast<std::size_t>(in.byte() % 9));
  for (auto& r : rel) r = wrap32(static_cast<std::uint64_t>(static_cast<std::int64_t>(r)) - 100u);
  std::vector<std::int32_t> buckets(rel.size());
  t5_buckets(rel, buckets, o);
  const std::int64_t heads = in.size(4), q = in.size(8), k = in.size(8);
  const std::optional<std::int64_t> q_offset = in.flag() ? std::optional<std::int64_t>(in.position()) : std::nullopt;
  std::vector<float> out(length_for({heads, q, k}));
  if (in.flag()) {
    auto table = in.floats(length_for({o.num_buckets, heads}));
    t5_bias(table, o.num_buckets, heads, heads, q, k, q_offset, o.bidirectional, o.max_distance, out);
  } else {
    const std::int64_t max_distance = in.size(8);
    auto table = in.floats(length_for({add(mul(2, max_distance), 1), heads}));
    clipped_relative_bias(table, add(mul(2, max_distance), 1), heads, heads, max_distance, q, k, q_offset, out);
  }
  require_finite_output(in, out);
}

void fuzz_rope(Input& in) {
  const Bhsd shape = bhsd(in);
  auto x = in.floats(length_for({shape.batch, shape.heads, shape.seq, shape.head_dim}));
  std::vector<float> out(x.size());
  RopeForwardOptions o;
  if (in.flag()) o.d_rot = mul(2, in.size(4));
  o.base = in.param(10000.0);
  o.layout = in.flag() ? RopeLayout::Half : RopeLayout::Interleaved;
  std::vector<std::int32_t> pos;
  if (in.flag()) pos = in.ints(length_for({in.flag() ? shape.batch : 1, shape.seq}));
  o.positions = pos;
  o.offset = in.position();
  o.inverse = in.flag();
  o.scaling = scaling(in, o.d_rot.value_or(shape.head_dim) / 2);
  if (in.flag()) o.max_position_embeddings = mul(in.size(64), 128);
  if (in.flag()) o.seq_len = mul(in.size(64), 256);
  rope_forward(x, shape, in.flag() ? Span<float>(x) : Span<float>(out), o);
  require_finite_output(in, out);
  require_finite_output(in, x);
  if (in.flag()) {
    RotaryPositionalEmbedding m(shape.head_dim, in.size(64), o.base, o.layout, o.scaling, o.max_position_embeddings);
    const Bhsd k_shape{shape.batch, shape.heads, in.size(40), shape.head_dim};
    auto k = in.floats(length_for({k_shape.batch, k_shape.heads, k_shape.seq, k_shape.head_dim}));
    m.forward(x, shape, x, k, k_shape, k, in.flag() ? std::numeric_limits<std::int64_t>::max() - (in.byte() & 7) : in.position(), pos);
    require_finite_output(in, x);
    require_finite_output(in, k);
  }
}

void fuzz_xpos(Input& in) {
  const Bhsd shape = bhsd(in);
  auto x = in.floats(length_for({shape.batch, shape.heads, shape.seq, shape.head_dim}));
  std::vector<float> out(x.size());
  XposOptions o;
  o.role = in.flag() ? XposRole::Key : XposRole::Query;
  std::vector<std::int32_t> pos;
  if (in.flag()) pos = in.ints(length_for({in.flag() ? shape.batch : 1, shape.seq}));
  o.positions = pos;
  o.offset = in.position();
  o.base = in.param(10000.0);
  o.gamma = in.param(0.4);
  o.scale_base = in.param(512.0);
  o.center = in.param(0.0);
  o.layout = in.flag() ? RopeLayout::Half : RopeLayout::Interleaved;
  xpos_apply(x, shape, out, o);
  require_finite_output(in, out);
}

void fuzz_alibi(Input& in) {
  const std::int64_t heads = in.size(8), q = in.size(8), k = in.size(8);
  std::vector<float> out(length_for({heads, q, k}));
  const std::optional<std::int64_t> q_offset = in.flag() ? std::optional<std::int64_t>(in.position()) : std::nullopt;
  alibi_bias(heads, q, k, q_offset, static_cast<AlibiMode>(in.byte() % 3), out);
  require_finite_output(in, out);
  if (in.flag()) {
    ALiBiPositionalEncoding m(heads, in.size(32));
    m.bias(q, k, out, q_offset);
    require_finite_output(in, out);
  }
}

void fuzz_attention(Input& in) {
  AttentionShape s;
  s.batch = in.size(2);
  s.heads = in.size(4);
  s.q_len = in.size(8);
  s.k_len = in.size(8);
  s.head_dim = in.size(8);
  s.v_dim = in.size(8);
  if (in.flag()) s.kv_heads = in.size(4);
  if (in.flag()) s.key_stride = add(s.k_len, in.size(3));
  const std::int64_t kvh = s.kv_heads.value_or(s.heads), stride = s.key_stride.value_or(s.k_len);
  auto q = in.floats(length_for({s.batch, s.heads, s.q_len, s.head_dim}));
  auto k = in.floats(length_for({s.batch, kvh, stride, s.head_dim}));
  auto v = in.floats(length_for({s.batch, kvh, stride, s.v_dim}));
  std::vector<float> out(length_for({s.batch, s.heads, s.q_len, s.v_dim}));
  std::vector<float> probs(in.flag() ? length_for({s.batch, s.heads, s.q_len, s.k_len}) : 0);
  SdpaOptions o;
  std::vector<float> bias, slopes, sinks, additive;
  std::vector<std::uint8_t> padding, keep;
  if (in.flag()) {
    o.bias_has_batch = in.flag();
    bias = in.floats(length_for({o.bias_has_batch ? s.batch : 1, s.heads, s.q_len, s.k_len}));
    o.bias = bias;
  }
  if (in.flag()) o.alibi = static_cast<AlibiMode>(in.byte() % 3);
  if (in.flag()) {
    slopes = in.floats(static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(s.heads, 8))));
    o.alibi_slopes = slopes;
  }
  o.causal = in.flag();
  if (in.flag()) o.q_offset = in.position();
  if (in.flag()) o.scale = in.param(0.35);
  if (in.flag()) {
    padding = in.bits(length_for({s.batch, s.k_len}));
    o.key_padding = padding;
  }
  if (in.flag()) {
    o.mask.shape = {in.flag() ? s.batch : 1, in.flag() ? s.heads : 1, in.flag() ? s.q_len : 1, s.k_len};
    const std::size_t n = length_for({o.mask.shape[0], o.mask.shape[1], o.mask.shape[2], o.mask.shape[3]});
    if (in.flag()) {
      keep = in.bits(n);
      o.mask.keep = keep;
    } else {
      additive = in.floats(n);
      for (float& a : additive) {
        if (a < -6) a = -std::numeric_limits<float>::infinity();  // hidden keys are -inf, as users pass them
      }
      o.mask.additive = additive;
    }
  }
  if (in.flag()) o.window = in.size(8);
  if (in.flag()) o.chunk_size = in.size(8);
  if (in.flag()) {
    sinks = in.floats(static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(s.heads, 8))));
    o.sinks = sinks;
  }
  if (in.flag()) o.query_temperature = QueryTemperature{in.param(8192.0), in.param(0.1)};
  if (in.flag()) o.softcap = in.param(50.0);
  if (in.flag()) {
    // A large capacity below 2^31 rows is a legitimate request of up to 2 GB: too slow to fuzz with.
    std::int64_t capacity = in.size(8);
    if (capacity < kMaxPosition && !fits({s.batch, kvh, capacity, std::max(s.head_dim, s.v_dim)})) capacity = 0;
    KVCache cache(s.batch, kvh, s.head_dim, s.v_dim, capacity);
    for (int i = in.byte() % 3; i >= 0; --i) {
      const std::int64_t n = in.size(4);
      auto kk = in.floats(length_for({s.batch, kvh, n, s.head_dim}));
      auto vv = in.floats(length_for({s.batch, kvh, n, s.v_dim}));
      cache.append(kk, vv, n);
    }
    sdpa(q, cache, s.heads, s.q_len, out, probs, o);
  } else {
    sdpa(q, k, v, s, out, probs, o);
  }
  require_finite_output(in, out);
  require_finite_output(in, probs);
}

void fuzz_dropout_layer_norm(Input& in) {
  const std::int64_t rows = in.size(4), d = in.size(16);
  auto x = in.floats(length_for({rows, d}));
  if (in.flag()) {
    for (float& v : x) v = x.empty() ? 0.0f : x[0];  // constant rows: σ² = 0
  }
  std::vector<float> out(x.size());
  std::vector<std::uint8_t> mask;
  DropoutOptions o{in.param(0.1), in.flag(), {}, in.u32()};
  if (in.flag()) {
    mask = in.bits(x.size() + (in.flag() ? 1 : 0));
    o.keep_mask = mask;
  }
  dropout(x, out, o);
  require_finite_output(in, out);
  auto gamma = in.floats(in.flag() ? static_cast<std::size_t>(std::max<std::int64_t>(0, std::min<std::int64_t>(d, 64))) : 0);
  layer_norm(x, rows, d, gamma, {}, in.param(1e-5), out);
  require_finite_output(in, out);
}

void fuzz_trainer_options(Input& in) {
  TinyTransformerOptions o;
  o.vocab_size = in.size(40);
  o.layers = in.size(3);
  o.d_model = mul(in.size(4), 4);
  o.heads = in.size(4);
  o.mlp_hidden = in.size(16);
  o.max_len = in.size(32);
  o.tie_embeddings = in.flag();
  o.positional = static_cast<PositionalScheme>(in.byte() % 8);
  o.rope_base = in.param(10000.0);
  o.rope_layout = in.flag() ? RopeLayout::Half : RopeLayout::Interleaved;
  if (in.flag()) o.rope_dims = mul(2, in.size(4));
  o.rope_scaling = scaling(in, o.rope_dims.value_or(o.heads > 0 ? o.d_model / o.heads : 0) / 2);
  if (in.flag()) o.rope_max_position_embeddings = mul(in.size(64), 32);
  o.t5_num_buckets = in.size(40);
  o.t5_max_distance = in.size(200);
  o.max_random_position = mul(in.size(64), 64);
  o.randomized_base = in.flag() ? PositionalScheme::Rope : PositionalScheme::Sinusoidal;
  o.init_std = in.param(0.02);
  o.layer_norm_eps = in.param(1e-5);
  o.optimizer.learning_rate = in.param(1e-3);
  o.optimizer.beta1 = in.param(0.9);
  o.optimizer.beta2 = in.param(0.95);
  o.optimizer.eps = in.param(1e-8);
  o.optimizer.weight_decay = in.param(0.01);
  o.optimizer.warmup_steps = in.size(8);
  o.optimizer.total_steps = in.size(100);
  o.optimizer.clip_norm = in.param(1.0);
  o.seed = in.u32();
  TinyTransformer model(o);  // construction only: a train step is the trainer tests' business
}

void run(Input& in) {
  switch (in.byte() % 10) {
    case 0: return fuzz_sinusoidal(in);
    case 1: return fuzz_learned(in);
    case 2: return fuzz_relative(in);
    case 3: return fuzz_rope(in);
    case 4: return fuzz_xpos(in);
    case 5: return fuzz_alibi(in);
    case 6: return fuzz_attention(in);
    case 7: return fuzz_dropout_layer_norm(in);
    case 8: return fuzz_trainer_options(in);
    default: return fuzz_rope(in);  // RoPE and its scalings have the most parameters
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  try {
    run(in);
  } catch (const posenc::Error& e) {
    if (std::string(e.code_name()).empty() || std::strlen(e.what()) == 0) bug("an error without code or message");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_api: uncoded exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
