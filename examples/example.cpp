// A first look at posenc from C++: a few sinusoidal rows.
#include <cstdio>

#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"

int main() {
  std::printf("posenc native example (SIMD arch: %s)\n\n", posenc::simd::arch_name());
  const auto table = posenc::sinusoidal_table(4, 8);
  std::printf("sinusoidal table, 4 positions x 8 dims:\n");
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 8; ++i) std::printf("%8.4f", table[p * 8 + i]);
    std::printf("\n");
  }
  return 0;
}
