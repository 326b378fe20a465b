// W7 in C++: one training step of a fixed tiny model (2 layers, d 128, 4 heads, seq 128, batch 16, RoPE,
// vocabulary 64) — steps/s, the GFLOP/s of its matrix products, and their share of the multiply-add peak of
// this build measured in the same run. Prints one JSON line. The wasm-simd build makes it too
// (build/bench/train_bench.cjs), for bench/train-step.mjs.
// Usage: posenc_train_bench [steps]   (default 10 timed steps after 2 warm-up steps)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "posenc/matmul.hpp"
#include "posenc/simd.hpp"
#include "posenc/tasks.hpp"
#include "posenc/tiny_transformer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// 12 independent fma chains over simd::Floats: the build's multiply-add peak, in FLOP/s. Not inlined into
// main: V8 keeps the chains of a large function in stack slots (in wasm, bench/ceiling.cpp is the reference).
[[gnu::noinline]] double madd_peak() {
  constexpr int kChains = 12;

  posenc::simd::Floats acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = posenc::simd::splat(1.0f + static_cast<float>(i));
  const posenc::simd::Floats m = posenc::simd::splat(0.999999f), a = posenc::simd::splat(1e-7f);
  const long iterations = 20000000;
  const auto t0 = Clock::now();
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = posenc::simd::fma(acc[i], m, a);
  const double t = seconds_since(t0);
  float sink = 0;
  for (int i = 0; i < kChains; ++i) sink += posenc::simd::reduce_add(acc[i]);
  if (sink == 12345.0f) std::puts("");
  return 2.0 * kChains * static_cast<double>(posenc::simd::kWidth) * static_cast<double>(iterations) / t;
}

struct Product {
  std::size_t m, n, k;
  posenc::MatmulLayout layout;
};

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  const std::int64_t B = 16, T = 128, D = 128, H = 4, L = 2, V = 64, F = 4 * D, dh = D / H;
  posenc::TinyTransformerOptions o;
  o.vocab_size = V;
  o.layers = L;
  o.d_model = D;
  o.heads = H;
  o.max_len = T;
  o.positional = posenc::PositionalScheme::Rope;
  posenc::TinyTransformer model(o);
  const posenc::Task task({posenc::TaskKind::CharLm, 0, std::string(4096, 'a') + "bcdefghij"});
  std::vector<posenc::TaskBatch> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(task.sample(B, T, static_cast<std::uint64_t>(i)));
  // char_lm's vocabulary is smaller than V; token ids stay valid.
  const auto step = [&](int i) {
    const auto& b = batches[static_cast<std::size_t>(i) % batches.size()];
    return model.train_step({b.tokens, b.targets, b.mask, B, T});
  };
  step(0);
  step(1);
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = Clock::now();
    step(i);
    times.push_back(seconds_since(t0));
  }
  const double step_s = median(times);

  // The step's products: per layer forward x·W for qkv, out, mlp in, mlp out; backward dX = dY·Wᵀ and dW = Xᵀ·dY;
  // the tied head (forward ABt, backward AB and AtB); attention backward's five products per (batch, head).
  const std::size_t N = static_cast<std::size_t>(B * T);
  std::vector<Product> products;
  const std::size_t uD = D, uF = F, uV = V, uT = T, udh = dh;
  for (int l = 0; l < L; ++l) {
    for (auto [in, out] : {std::pair<std::size_t, std::size_t>{uD, 3 * uD}, {uD, uD}, {uD, uF}, {uF, uD}}) {
      products.push_back({N, out, in, posenc::MatmulLayout::AB});
      products.push_back({N, in, out, posenc::MatmulLayout::ABt});
      products.push_back({in, out, N, posenc::MatmulLayout::AtB});
    }
  }
  products.push_back({N, uV, uD, posenc::MatmulLayout::ABt});
  products.push_back({N, uD, uV, posenc::MatmulLayout::AB});
  products.push_back({uV, uD, N, posenc::MatmulLayout::AtB});
  const std::size_t heads_per_step = static_cast<std::size_t>(L * B * H);
  const Product attention_products[5] = {{uT, uT, udh, posenc::MatmulLayout::ABt}, {uT, uT, udh, posenc::MatmulLayout::ABt},
                                         {uT, udh, uT, posenc::MatmulLayout::AtB}, {uT, udh, uT, posenc::MatmulLayout::AB},
                                         {uT, udh, uT, posenc::MatmulLayout::AtB}};
  double flops = 0, linear_flops = 0;
  for (const Product& p : products) linear_flops += 2.0 * p.m * p.n * p.k;
  double attention_flops = 0;
  for (const Product& p : attention_products) attention_flops += 2.0 * p.m * p.n * p.k * heads_per_step;
  flops = linear_flops + attention_flops;

  // Time the same products alone (inputs of the right sizes, outside the model).
  std::vector<float> a(N * uF, 0.01f), b(N * uF, 0.02f), c(N * uF, 0.0f);
  const auto run_products = [&] {
    for (const Product& p : products) {
      const std::size_t lda = p.layout == posenc::MatmulLayout::AtB ? p.m : p.k;
      const std::size_t ldb = p.layout == posenc::MatmulLayout::ABt ? p.k : p.n;
      posenc::matmul_unchecked(a.data(), lda, b.data(), ldb, c.data(), p.n, p.m, p.n, p.k, p.layout, true);
    }
    for (std::size_t h = 0; h < heads_per_step; ++h)
      for (const Product& p : attention_products) {
        const std::size_t lda = p.layout == posenc::MatmulLayout::AtB ? p.m : p.k;
        const std::size_t ldb = p.layout == posenc::MatmulLayout::ABt ? p.k : p.n;
        posenc::matmul_unchecked(a.data(), lda, b.data(), ldb, c.data(), p.n, p.m, p.n, p.k, p.layout, true);
      }
  };
  run_products();
  std::vector<double> mm_times;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    run_products();
    mm_times.push_back(seconds_since(t0));
  }
  const double mm_s = median(mm_times);
  const double peak = madd_peak();
  std::printf(
      "{\"workload\":\"W7 train step\",\"arch\":\"%s\",\"step_ms\":%.3f,\"steps_per_s\":%.2f,"
      "\"step_matmul_gflop\":%.3f,\"step_gflops\":%.2f,\"matmul_only_ms\":%.3f,\"matmul_gflops\":%.2f,"
      "\"madd_peak_gflops\":%.2f,\"matmul_share_of_peak\":%.3f,\"matmul_share_of_step\":%.3f}\n",
      posenc::simd::arch_name(), step_s * 1e3, 1.0 / step_s, flops * 1e-9, flops / step_s * 1e-9, mm_s * 1e3,
      flops / mm_s * 1e-9, peak * 1e-9, flops / mm_s / peak, mm_s / step_s);
  return 0;
}
