// 2-D RoPE of vision encoders: each patch of an h x w grid turns half of its pairs by its row and half by
// its column, in the patch order, frequencies and pair layout of the model's own code:
// - pixtral (Pixtral's PixtralRotaryEmbedding): patches row-major; ω_i = base^(−2i/D) for i < D/2; pair j
//   (j, j + D/2) turns by row·ω_{2j} for j < D/4 and by col·ω_{2(j−D/4)+1} after (rows take the even
//   frequencies, columns the odd ones).
// - qwen2vl (Qwen2-VL's VisionRotaryEmbedding and rot_pos_emb): patches in blocks of merge x merge
//   (block rows, then block columns, then the block's rows and columns); ω_k = base^(−4k/D) for k < D/4;
//   pair j (j, j + D/2) turns by row·ω_j for j < D/4 and by col·ω_{j−D/4} after.
// - llama4 (Llama 4's Llama4VisionRotaryEmbedding): patches row-major and then a CLS token, which does not
//   turn; ω_k = base^(−4k/D) for k < D/4; interleaved pair j (2j, 2j+1) turns by (col+1)·ω_j for j < D/4
//   and by (row+1)·ω_{j−D/4} after (positions count from 1).
// D = head_dim, a multiple of 4. Angles are formed in float64 as in every posenc RoPE.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "posenc/shapes.hpp"
#include "posenc/span.hpp"

namespace posenc {

enum class VisionRopeStyle { Pixtral, Qwen2Vl, Llama4 };
VisionRopeStyle parse_vision_rope_style(const std::string& name);  // "pixtral" | "qwen2vl" | "llama4"
const char* vision_rope_style_name(VisionRopeStyle style);

struct VisionRopeOptions {
  VisionRopeStyle style = VisionRopeStyle::Pixtral;
  std::int64_t grid_h = 0, grid_w = 0;  // patches per column and per row
  double base = 10000.0;
  std::int64_t spatial_merge_size = 2;  // qwen2vl: h and w must be multiples of it
  bool inverse = false;
};

// Tokens a grid makes: h·w, plus the CLS token for llama4.
std::int64_t vision_rope_tokens(const VisionRopeOptions& options);

// The (row, col) of each token in the style's order; the CLS token of llama4 is (−1, −1).
struct PatchCoordinate {
  std::int64_t row, col;
};
std::vector<PatchCoordinate> vision_rope_patches(const VisionRopeOptions& options);

// x, out: [batch, heads, tokens, head_dim] (out may be x), tokens = vision_rope_tokens(options).
void vision_rope_forward(Span<const float> x, const Bhsd& shape, Span<float> out, const VisionRopeOptions& options);

}  // namespace posenc
