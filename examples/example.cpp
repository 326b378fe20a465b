// A first look at posenc from C++: encodings and an attention map, printed.
#include <cmath>
#include <cstdio>
#include <vector>

#include "posenc/alibi.hpp"
#include "posenc/attention.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"

namespace {

void print_rows(const char* title, const std::vector<float>& data, int rows, int cols) {
  std::printf("%s\n", title);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) std::printf("%8.4f", data[r * cols + c]);
    std::printf("\n");
  }
  std::printf("\n");
}

float dot(const float* a, const float* b, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

int main() {
  std::printf("posenc native example (SIMD arch: %s)\n\n", posenc::simd::arch_name());

  print_rows("Sinusoidal table, positions 0-3 x 8 dims (interleaved sin, cos):", posenc::sinusoidal_table(4, 8), 4, 8);

  const auto slopes = posenc::alibi_slopes(12);
  std::printf("ALiBi slopes for 12 heads (not monotonic for non-powers of two):\n");
  for (double m : slopes) std::printf("  2^%.1f", std::log2(m));
  std::printf("\n\n");

  // RoPE: q·k depends only on the distance between the two positions.
  const int dim = 8;
  std::vector<float> q(dim), k(dim);
  for (int i = 0; i < dim; ++i) {
    q[i] = 0.1f * static_cast<float>(i + 1);
    k[i] = 0.3f - 0.05f * static_cast<float>(i);
  }
  std::printf("RoPE (half layout): q at position m, k at position n, q.k by distance m - n:\n");
  for (int m : {5, 50, 500000}) {
    std::vector<float> rq(dim), rk(dim);
    posenc::RopeForwardOptions at_m, at_n;
    at_m.offset = m;
    at_n.offset = m - 3;
    posenc::rope_forward(q, {1, 1, 1, dim}, rq, at_m);
    posenc::rope_forward(k, {1, 1, 1, dim}, rk, at_n);
    std::printf("  m=%-7d n=%-7d q.k = %.6f\n", m, m - 3, dot(rq.data(), rk.data(), dim));
  }
  std::printf("\n");

  // A tiny causal attention with ALiBi: 8 heads, 6 tokens, identical keys, so only the bias shapes it.
  const int heads = 8, n = 6, hd = 4;
  std::vector<float> qkv(heads * n * hd, 0.5f), out(heads * n * hd), probs(heads * n * n);
  posenc::SdpaOptions opt;
  opt.causal = true;
  opt.alibi = posenc::AlibiMode::Causal;
  posenc::sdpa(qkv, qkv, qkv, {1, heads, n, n, hd, hd}, out, probs, opt);
  print_rows("Attention weights of head 0 (ALiBi slope 1/2), 6 tokens, causal: recent keys weigh more", probs, n, n);
  return 0;
}
