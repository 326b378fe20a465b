#include <catch2/catch.hpp>

#include "check.hpp"
#include "posenc/attention.hpp"
#include "posenc/kv_cache.hpp"
#include "reference/attention.hpp"

TEST_CASE("KVCache growth then sdpa equals sdpa on contiguous K/V", "[attention][kv_cache]") {
  const std::int64_t B = 2, Hkv = 2, H = 8, D = 80, Dv = 24;
  posenc::KVCache cache(B, Hkv, D, Dv);
  std::vector<std::vector<float>> ks, vs;
  std::int64_t total = 0;
  std::vector<std::int64_t> capacities;
  for (std::int64_t n : {1, 5, 17, 1, 40, 3, 100}) {
    ks.push_back(check::random_floats(static_cast<std::size_t>(B * Hkv * n * D), static_cast<std::uint32_t>(10 + total)));
    vs.push_back(check::random_floats(static_cast<std::size_t>(B * Hkv * n * Dv), static_cast<std::uint32_t>(500 + total)));
    cache.append(ks.back(), vs.back(), n);
    total += n;
    CHECK(cache.length() == total);
    CHECK(cache.capacity() >= total);
    capacities.push_back(cache.capacity());
  }
  // Doubling: at most log2 distinct capacities past the first.
  CHECK(capacities.front() == 16);
  CHECK(cache.capacity() == 256);
  // The same keys laid out densely [B, Hkv, total, ·].
  std::vector<float> k, v;
  for (std::int64_t bg = 0; bg < B * Hkv; ++bg) {
    for (std::size_t a = 0; a < ks.size(); ++a) {
      const std::int64_t n = static_cast<std::int64_t>(ks[a].size()) / (B * Hkv * D);
      k.insert(k.end(), ks[a].begin() + bg * n * D, ks[a].begin() + (bg + 1) * n * D);
      v.insert(v.end(), vs[a].begin() + bg * n * Dv, vs[a].begin() + (bg + 1) * n * Dv);
    }
  }
  const std::int64_t Q = 3;
  const auto q = check::random_floats(static_cast<std::size_t>(B * H * Q * D), 7);
  posenc::SdpaOptions opt;
  opt.causal = true;
  opt.window = 50;
  std::vector<float> out(static_cast<std::size_t>(B * H * Q * Dv)), probs(static_cast<std::size_t>(B * H * Q * total));
  posenc::sdpa(q, cache, H, Q, out, probs, opt);
  posenc::AttentionShape shape{B, H, Q, total, D, Dv};
  shape.kv_heads = Hkv;
  std::vector<float> out2(out.size()), probs2(probs.size());
  posenc::sdpa(q, k, v, shape, out2, probs2, opt);
  CHECK(out == out2);
  CHECK(probs == probs2);
  ref::Options ro;
  ro.B = B, ro.H = H, ro.Hkv = Hkv, ro.Q = Q, ro.K = total, ro.D = D, ro.Dv = Dv;
  ro.causal = true, ro.window = 50, ro.q_offset = total - Q;
  const auto want = ref::sdpa(q, k, v, ro);
  check::close(out, want.out);
  // And the reference reading the cache's strided storage directly.
  ro.stride = cache.capacity();
  const std::vector<float> ck(cache.keys().begin(), cache.keys().end()), cv(cache.values().begin(), cache.values().end());
  check::close(out, ref::sdpa(q, ck, cv, ro).out);
  cache.clear();
  CHECK(cache.length() == 0);
  CHECK(cache.capacity() == 256);
}

TEST_CASE("KVCache errors name the argument", "[attention][kv_cache][errors]") {
  check::throws_code([] { posenc::KVCache(1, 0, 8, 8); }, "BAD_HEADS", "kv_heads");
  check::throws_code([] { posenc::KVCache(0, 1, 8, 8); }, "BAD_SIZE", "batch");
  check::throws_code([] { posenc::KVCache(1, 1, 8, 8, -1); }, "BAD_SIZE", "initial_capacity");
  posenc::KVCache cache(1, 2, 4, 4);
  const std::vector<float> k(2 * 3 * 4), v(2 * 3 * 4 - 1);
  check::throws_code([&] { cache.append(k, v, 3); }, "SHAPE_MISMATCH", "v must have 24 elements");
  check::throws_code([&] { cache.append(k, k, 0); }, "BAD_SIZE", "n");
  std::vector<float> q(2 * 4), out(2 * 4);
  check::throws_code([&] { posenc::sdpa(q, cache, 2, 1, out); }, "BAD_SIZE", "cache length");
  cache.append(k, k, 3);
  posenc::sdpa(q, cache, 2, 1, out);
  check::throws_code([&] { posenc::sdpa(q, cache, 3, 1, out); }, "BAD_HEADS", "multiple of kv_heads");
}
