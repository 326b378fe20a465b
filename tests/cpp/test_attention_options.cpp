// sdpa's grouped-query heads and model options against the float64 reference (reference/attention.hpp),
// each test citing the upstream definition it follows.
#include <catch2/catch.hpp>

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

// One attention problem with its inputs; the options are set on both sides by each test.
struct Case {
  AttentionShape shape;
  std::vector<float> q, k, v;
  Case(std::int64_t B, std::int64_t H, std::int64_t Hkv, std::int64_t Q, std::int64_t K, std::int64_t D,
       std::int64_t Dv, std::uint32_t seed) {
    shape = AttentionShape{B, H, Q, K, D, Dv};
    shape.kv_heads = Hkv;
    q = check::random_floats(static_cast<std::size_t>(B * H * Q * D), seed, -2, 2);
    k = check::random_floats(static_cast<std::size_t>(B * Hkv * K * D), seed + 1, -2, 2);
    v = check::random_floats(static_cast<std::size_t>(B * Hkv * K * Dv), seed + 2);
  }
  ref::Options reference_options() const {
    ref::Options o;
    o.B = shape.batch, o.H = shape.heads, o.Hkv = *shape.kv_heads, o.Q = shape.q_len, o.K = shape.k_len;
    o.D = shape.head_dim, o.Dv = shape.v_dim;
    o.q_offset = shape.k_len - shape.q_len;
    return o;
  }
  std::size_t out_size() const { return static_cast<std::size_t>(shape.batch * shape.heads * shape.q_len * shape.v_dim); }
  std::size_t probs_size() const { return static_cast<std::size_t>(shape.batch * shape.heads * shape.q_len * shape.k_len); }
};

struct Result {
  std::vector<float> out, probs;
};

Result run(const Case& c, const SdpaOptions& opt) {
  Result r{std::vector<float>(c.out_size()), std::vector<float>(c.probs_size())};
  posenc::sdpa(c.q, c.k, c.v, c.shape, r.out, r.probs, opt);
  return r;
}

void check_against(const Case& c, const SdpaOptions& opt, const ref::Options& ro) {
  const auto got = run(c, opt);
  const auto want = ref::sdpa(c.q, c.k, c.v, ro);
  check::close(got.out, want.out);
  check::close(got.probs, want.probs);
}

// K/V repeated to every query head (what HF's repeat_kv materialises).
std::vector<float> repeat_kv(const std::vector<float>& x, std::int64_t B, std::int64_t Hkv, std::int64_t rep,
                             std::int64_t rows) {
  std::vector<float> out;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t g = 0; g < Hkv; ++g)
      for (std::int64_t r = 0; r < rep; ++r)
        out.insert(out.end(), x.begin() + (b * Hkv + g) * rows, x.begin() + (b * Hkv + g + 1) * rows);
  return out;
}

}  // namespace

// HF transformers: repeat_kv + eager_attention_forward (models/llama/modeling_llama.py): query head h reads
// kv head h // n_rep.
TEST_CASE("GQA and MQA match repeat_kv + eager attention over SIMD remainders", "[attention][gqa]") {
  INFO("simd arch: " << posenc::simd::arch_name());
  for (std::int64_t kv : {8, 4, 2, 1}) {  // ratios 1, 2, 4, 8 (kv 1: MQA)
    for (std::int64_t d : {1, 3, 64, 80, 128}) {
      for (std::int64_t K : {1, 7, 33, 1000}) {
        const std::int64_t Q = K == 1000 ? 3 : std::min<std::int64_t>(K, 5);
        const std::int64_t dv = d == 80 ? 24 : d;  // dv may differ from d
        INFO("kv_heads=" << kv << " d=" << d << " k_len=" << K);
        const Case c(1, 8, kv, Q, K, d, dv, static_cast<std::uint32_t>(kv * 7919 + d * 31 + K));
        SdpaOptions opt;
        opt.causal = true;
        auto ro = c.reference_options();
        ro.causal = true;
        check_against(c, opt, ro);
      }
    }
  }
  // MQA with a head count that is not a power of two, batch 2, no mask.
  const Case c(2, 6, 1, 9, 33, 16, 16, 3);
  check_against(c, {}, c.reference_options());
}

TEST_CASE("GQA equals the same call with K and V repeated to every head", "[attention][gqa]") {
  const Case c(2, 8, 2, 17, 40, 64, 32, 11);
  Case rep = c;
  rep.shape.kv_heads = 8;
  rep.k = repeat_kv(c.k, 2, 2, 4, 40 * 64);
  rep.v = repeat_kv(c.v, 2, 2, 4, 40 * 32);
  SdpaOptions opt;
  opt.causal = true;
  opt.alibi = posenc::AlibiMode::Causal;
  const auto a = run(c, opt), b = run(rep, opt);
  check::close(a.out, b.out, 1e-6, 1e-6);
  check::close(a.probs, b.probs, 1e-6, 1e-6);
}

// Every option, alone and with causal, an explicit q_offset, ALiBi and a bias.
TEST_CASE("each option composes with causal, q_offset, alibi and bias", "[attention][options]") {
  const std::int64_t B = 2, H = 4, Hkv = 2, Q = 7, K = 33, D = 8, Dv = 6;
  const Case c(B, H, Hkv, Q, K, D, Dv, 21);
  const auto bias = check::random_floats(static_cast<std::size_t>(H * Q * K), 22, -1, 1);
  std::vector<std::uint8_t> padding(static_cast<std::size_t>(B * K), 1);
  for (int j = 0; j < 5; ++j) padding[static_cast<std::size_t>(K + j)] = 0;  // batch 1 is left-padded by 5
  padding[static_cast<std::size_t>(K + 20)] = 0;
  const auto mask_add = check::random_floats(static_cast<std::size_t>(B * Q * K), 23, -3, 1);  // [B, 1, Q, K]
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(H * K));                          // [1, H, 1, K]
  for (std::size_t x = 0; x < keep.size(); ++x) keep[x] = (x * 7 + 3) % 5 != 0;
  const auto sinks = check::random_floats(static_cast<std::size_t>(H), 24, -1, 3);

  enum Option { kPadding, kMaskAdd, kMaskKeep, kWindow, kChunk, kSinks, kTemperature, kSoftcap };
  const char* names[] = {"key_padding", "additive mask", "keep mask", "window", "chunk_size", "sinks",
                         "query_temperature", "softcap"};
  enum Combo { kPlain, kCausal, kOffset, kAlibi, kBias };
  const char* combos[] = {"plain", "causal", "causal + q_offset", "alibi", "bias"};
  for (int option = kPadding; option <= kSoftcap; ++option) {
    for (int combo = kPlain; combo <= kBias; ++combo) {
      INFO("option " << names[option] << " with " << combos[combo]);
      SdpaOptions opt;
      auto ro = c.reference_options();
      switch (option) {
        case kPadding:  // HF: the 2-D attention_mask of a padded batch
          opt.key_padding = padding;
          ro.key_padding = padding;
          break;
        case kMaskAdd:
          opt.mask.additive = mask_add;
          opt.mask.shape = {B, 1, Q, K};
          ro.mask_add.assign(mask_add.begin(), mask_add.end());
          ro.mask_shape[0] = B, ro.mask_shape[2] = Q, ro.mask_shape[3] = K;
          break;
        case kMaskKeep:
          opt.mask.keep = keep;
          opt.mask.shape = {1, H, 1, K};
          ro.mask_keep = keep;
          ro.mask_shape[1] = H, ro.mask_shape[3] = K;
          break;
        case kWindow:  // HF masking_utils sliding_window_overlay: q − W < kv (with the causal kv ≤ q)
          opt.window = 5;
          ro.window = 5;
          break;
        case kChunk:  // HF masking_utils chunked_overlay (Llama 4), left padding subtracted
          opt.chunk_size = 8;
          opt.key_padding = padding;
          ro.chunk = 8;
          ro.key_padding = padding;
          break;
        case kSinks:  // GPT-OSS eager_attention_forward: sinks concatenated to the logits, then dropped
          opt.sinks = sinks;
          ro.sinks.assign(sinks.begin(), sinks.end());
          break;
        case kTemperature:  // Llama 4 Llama4TextAttention: attn_scales on NoPE layers
          opt.query_temperature = posenc::QueryTemperature{4, 0.3};
          ro.floor_scale = 4, ro.attn_scale = 0.3;
          break;
        case kSoftcap:  // Gemma 2 eager_attention_forward: softcap · tanh(s / softcap) before the mask
          opt.softcap = 1.5;
          ro.softcap = 1.5;
          break;
      }
      switch (combo) {
        case kPlain: break;
        case kCausal:
          opt.causal = ro.causal = true;
          break;
        case kOffset:
          opt.causal = ro.causal = true;
          opt.q_offset = ro.q_offset = 12;
          break;
        case kAlibi: {
          opt.causal = ro.causal = true;
          opt.alibi = posenc::AlibiMode::Causal;
          ro.bias = ref::alibi_bias(H, Q, K, K - Q, "causal");
          break;
        }
        case kBias:
          opt.bias = bias;
          ro.bias.assign(bias.begin(), bias.end());
          break;
      }
      check_against(c, opt, ro);
    }
  }
}

TEST_CASE("all options at once on a Llama-4/GPT-OSS/Gemma-shaped layer", "[attention][options]") {
  const std::int64_t B = 2, H = 8, Hkv = 2, Q = 33, K = 100, D = 64, Dv = 64;
  const Case c(B, H, Hkv, Q, K, D, Dv, 31);
  std::vector<std::uint8_t> padding(static_cast<std::size_t>(B * K), 1);
  for (int j = 0; j < 9; ++j) padding[static_cast<std::size_t>(K + j)] = 0;
  const auto sinks = check::random_floats(static_cast<std::size_t>(H), 32, -1, 2);
  const auto bias = check::random_floats(static_cast<std::size_t>(B * H * Q * K), 33, -1, 1);
  for (bool chunked : {false, true}) {
    INFO("chunked=" << chunked);
    SdpaOptions opt;
    auto ro = c.reference_options();
    opt.causal = ro.causal = true;
    opt.key_padding = ro.key_padding = padding;
    opt.sinks = sinks;
    ro.sinks.assign(sinks.begin(), sinks.end());
    opt.softcap = ro.softcap = 20.0;
    opt.query_temperature = posenc::QueryTemperature{16, 0.1};
    ro.floor_scale = 16, ro.attn_scale = 0.1;
    opt.bias = bias;
    opt.bias_has_batch = ro.bias_batch = true;
    ro.bias.assign(bias.begin(), bias.end());
    if (chunked) opt.chunk_size = ro.chunk = 16;
    else opt.window = ro.window = 24;
    check_against(c, opt, ro);
  }
}

TEST_CASE("window boundaries: W keys including the query itself", "[attention][options]") {
  // HF masking_utils: kv_idx > q_idx − W. Mistral's reference prefill keeps W + 1 keys: window W + 1 here.
  const Case c(1, 2, 1, 12, 12, 4, 4, 41);
  for (std::int64_t w : {1, 2, 3, 11, 12, 50}) {
    INFO("window=" << w);
    SdpaOptions opt;
    opt.window = w;
    const auto r = run(c, opt);
    for (std::int64_t row = 0; row < 2 * 12; ++row) {
      const std::int64_t i = row % 12;
      for (std::int64_t j = 0; j < 12; ++j) {
        const bool visible = i - w < j && j <= i;
        CHECK((r.probs[static_cast<std::size_t>(row * 12 + j)] > 0) == visible);
      }
    }
  }
}

TEST_CASE("padding rows are fully masked: zero output and probabilities, never NaN", "[attention][options]") {
  const Case c(2, 4, 2, 6, 10, 8, 8, 51);
  std::vector<std::uint8_t> padding(20, 1);
  for (int j = 0; j < 10; ++j) padding[static_cast<std::size_t>(10 + j)] = 0;  // batch 1: nothing real
  for (int j = 0; j < 4; ++j) padding[static_cast<std::size_t>(j)] = 0;       // batch 0: left-padded by 4
  SdpaOptions opt;
  opt.key_padding = padding;
  opt.causal = true;
  opt.q_offset = 0;  // queries 0..3 of batch 0 see only padded keys
  const auto sinks = check::random_floats(4, 52);
  for (bool with_sinks : {false, true}) {
    if (with_sinks) opt.sinks = sinks;
    const auto r = run(c, opt);
    for (float x : r.out) CHECK(std::isfinite(x));
    for (std::int64_t h = 0; h < 4; ++h) {
      for (std::int64_t i = 0; i < 6; ++i) {
        const bool empty = i < 4;
        const float* o0 = r.out.data() + (h * 6 + i) * 8;
        const float* o1 = r.out.data() + ((4 + h) * 6 + i) * 8;
        const float* p0 = r.probs.data() + (h * 6 + i) * 10;
        const float* p1 = r.probs.data() + ((4 + h) * 6 + i) * 10;
        for (int x = 0; x < 8; ++x) CHECK(o1[x] == 0.0f);
        for (int x = 0; x < 10; ++x) CHECK(p1[x] == 0.0f);
        const double sum = std::accumulate(p0, p0 + 10, 0.0);
        if (empty) {
          CHECK(sum == 0.0);
          for (int x = 0; x < 8; ++x) CHECK(o0[x] == 0.0f);
        } else if (!with_sinks) {
          CHECK(sum == Approx(1.0).margin(1e-6));
        } else {
          CHECK(sum < 1.0);  // the sink keeps its share
        }
      }
    }
  }
}

TEST_CASE("probabilities sum to 1, or 0 for an empty row, under every mask", "[attention][options]") {
  const Case c(1, 4, 4, 20, 20, 8, 8, 61);
  std::vector<std::uint8_t> keep(400);
  for (std::size_t x = 0; x < keep.size(); ++x) keep[x] = (x % 7) != 0 && x / 20 != 3;  // row 3: empty
  SdpaOptions opt;
  opt.causal = true;
  opt.mask.keep = keep;
  opt.mask.shape = {1, 1, 20, 20};
  opt.window = 6;
  const auto r = run(c, opt);
  for (std::int64_t row = 0; row < 4 * 20; ++row) {
    const float* p = r.probs.data() + row * 20;
    const double sum = std::accumulate(p, p + 20, 0.0);
    bool any = false;
    const std::int64_t i = row % 20;
    for (std::int64_t j = std::max<std::int64_t>(0, i - 5); j <= i; ++j) any = any || keep[static_cast<std::size_t>(i * 20 + j)];
    CHECK(sum == Approx(any ? 1.0 : 0.0).margin(1e-6));
  }
}

TEST_CASE("decode equals the last row of prefill (window, chunk, GQA)", "[attention][decode]") {
  const std::int64_t H = 8, Hkv = 2, K = 1000, D = 128, Dv = 64;
  const Case prefill(1, H, Hkv, K, K, D, Dv, 71);
  const auto sinks = check::random_floats(8, 72);
  for (int mode = 0; mode < 3; ++mode) {
    INFO("mode=" << mode);
    SdpaOptions opt;
    opt.causal = true;
    if (mode == 1) opt.window = 100;
    if (mode == 2) opt.chunk_size = 64;
    opt.sinks = sinks;
    const auto full = run(prefill, opt);
    Case decode = prefill;
    decode.shape.q_len = 1;
    decode.q.clear();
    for (std::int64_t h = 0; h < H; ++h)
      decode.q.insert(decode.q.end(), prefill.q.begin() + ((h * K) + K - 1) * D, prefill.q.begin() + (h * K + K) * D);
    const auto step = run(decode, opt);  // default q_offset = k_len − 1
    for (std::int64_t h = 0; h < H; ++h) {
      const std::vector<float> want(full.out.begin() + (h * K + K - 1) * Dv, full.out.begin() + (h * K + K) * Dv);
      const std::vector<float> got(step.out.begin() + h * Dv, step.out.begin() + (h + 1) * Dv);
      check::close(got, want, 1e-6, 1e-6);
    }
  }
}

TEST_CASE("decode with window or chunk reads only the keys it can see", "[attention][decode]") {
  // Keys and values outside the visible range are NaN: touching one would poison the output.
  const std::int64_t H = 4, Hkv = 1, K = 1000, D = 64;
  Case c(1, H, Hkv, 1, K, D, D, 81);
  const auto clean = c;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int mode = 0; mode < 2; ++mode) {
    c = clean;
    SdpaOptions opt;
    ref::Options ro = c.reference_options();
    std::int64_t lo;
    if (mode == 0) {
      opt.window = ro.window = 50;
      lo = K - 50;
    } else {
      opt.chunk_size = ro.chunk = 128;
      opt.causal = ro.causal = true;
      lo = (K - 1) / 128 * 128;
    }
    for (std::int64_t j = 0; j < lo; ++j) {
      std::fill(c.k.begin() + j * D, c.k.begin() + (j + 1) * D, nan);
      std::fill(c.v.begin() + j * D, c.v.begin() + (j + 1) * D, nan);
    }
    const auto got = run(c, opt);
    const auto want = ref::sdpa(clean.q, clean.k, clean.v, ro);
    check::close(got.out, want.out);
  }
}

// Unset options stay the old behaviour: the existing tests cover that path; here, the errors.
TEST_CASE("option errors name the argument, the value and the rule", "[attention][errors]") {
  const Case c(1, 4, 2, 3, 5, 8, 8, 91);
  std::vector<float> out(c.out_size());
  auto call = [&](const AttentionShape& s, const SdpaOptions& o) { posenc::sdpa(c.q, c.k, c.v, s, out, {}, o); };
  call(c.shape, {});
  AttentionShape s = c.shape;
  s.kv_heads = 3;
  check::throws_code([&] { call(s, {}); }, "BAD_HEADS", "heads must be a multiple of kv_heads (3), got 4");
  s.kv_heads = 0;
  check::throws_code([&] { call(s, {}); }, "BAD_HEADS", "kv_heads");
  s = c.shape;
  s.key_stride = 4;
  check::throws_code([&] { call(s, {}); }, "OUT_OF_RANGE", "key_stride must be >= k_len (5), got 4");
  SdpaOptions o;
  o.window = 0;
  check::throws_code([&] { call(c.shape, o); }, "BAD_SIZE", "window");
  o = {};
  o.chunk_size = -3;
  check::throws_code([&] { call(c.shape, o); }, "BAD_SIZE", "chunk_size");
  o = {};
  const std::vector<float> three = {1, 2, 3};
  o.sinks = three;
  check::throws_code([&] { call(c.shape, o); }, "SHAPE_MISMATCH", "sinks [heads] must have 4 elements");
  const std::vector<float> bad_sinks = {1, 2, NAN, 3};
  o.sinks = bad_sinks;
  check::throws_code([&] { call(c.shape, o); }, "NON_FINITE", "sinks[2]");
  o = {};
  o.softcap = INFINITY;
  check::throws_code([&] { call(c.shape, o); }, "NON_FINITE", "softcap");
  o.softcap = 0.0;
  check::throws_code([&] { call(c.shape, o); }, "OUT_OF_RANGE", "softcap must be > 0, got 0");
  o = {};
  o.query_temperature = posenc::QueryTemperature{NAN, 0.1};
  check::throws_code([&] { call(c.shape, o); }, "NON_FINITE", "query_temperature.floor_scale");
  o.query_temperature = posenc::QueryTemperature{8, INFINITY};
  check::throws_code([&] { call(c.shape, o); }, "NON_FINITE", "query_temperature.attn_scale");
  o.query_temperature = posenc::QueryTemperature{0, 0.1};
  check::throws_code([&] { call(c.shape, o); }, "OUT_OF_RANGE", "query_temperature.floor_scale must be > 0");
  o = {};
  const std::vector<std::uint8_t> pad(4, 1);
  o.key_padding = pad;
  check::throws_code([&] { call(c.shape, o); }, "SHAPE_MISMATCH", "key_padding [batch, k_len] must have 5 elements");
  o = {};
  const std::vector<float> m(3 * 5);
  o.mask.additive = m;
  o.mask.shape = {1, 2, 3, 5};
  check::throws_code([&] { call(c.shape, o); }, "SHAPE_MISMATCH",
                     "mask shape [1, 2, 3, 5] must broadcast to [batch, heads, q_len, k_len] = [1, 4, 3, 5]");
  o.mask.shape = {1, 1, 3, 5};
  call(c.shape, o);
  o.mask.shape = {1, 1, 1, 5};
  check::throws_code([&] { call(c.shape, o); }, "SHAPE_MISMATCH", "mask must have 5 elements");
  const std::vector<std::uint8_t> keep(15, 1);
  o.mask.shape = {1, 1, 3, 5};
  o.mask.keep = keep;
  check::throws_code([&] { call(c.shape, o); }, "SHAPE_MISMATCH", "got both");
}

TEST_CASE("sdpa rejects a scale or temperature whose logits would overflow float32", "[attention][errors]") {
  posenc::AttentionShape shape;
  shape.q_len = 2;
  shape.k_len = 2;
  shape.head_dim = 4;
  shape.v_dim = 4;
  std::vector<float> q(8, 0.5f), k(8, -0.25f), v(8, 1.0f), out(8);
  posenc::SdpaOptions o;
  o.scale = 1e39;  // a float32 Inf before: every probability NaN
  check::throws_code([&] { posenc::sdpa(q, k, v, shape, out, {}, o); }, "OUT_OF_RANGE", "at most 1e6");
  o.scale = 1e6;
  posenc::sdpa(q, k, v, shape, out, {}, o);
  for (float x : out) CHECK(std::isfinite(x));
  o.scale = std::nullopt;
  o.query_temperature = posenc::QueryTemperature{1, 1e300};
  check::throws_code([&] { posenc::sdpa(q, k, v, shape, out, {}, o); }, "OUT_OF_RANGE", "query_temperature.attn_scale");
}

// A softcap that rounds to 0 or to infinity in float32 made cap·tanh(s/cap) 0/0 or 0·inf (found by the fuzzer).
TEST_CASE("softcap outside [1e-6, 1e6] is OUT_OF_RANGE; the bounds themselves give finite results", "[attention][errors]") {
  const Case c(1, 2, 2, 3, 5, 8, 8, 17);
  std::vector<float> out(c.out_size());
  SdpaOptions o;
  for (double cap : {1e-320, 1e-7, 1e7, 1e39}) {
    o.softcap = cap;
    check::throws_code([&] { posenc::sdpa(c.q, c.k, c.v, c.shape, out, {}, o); }, "OUT_OF_RANGE", "softcap");
  }
  for (double cap : {1e-6, 1e6}) {
    o.softcap = cap;
    posenc::sdpa(c.q, c.k, c.v, c.shape, out, {}, o);
    for (float x : out) CHECK(std::isfinite(x));
  }
}
