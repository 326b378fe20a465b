// The functions Embind registers (embind.cpp), one per JS export: numbers and pointers in (wire.hpp).
// Free functions live in functions.cpp, the module classes' methods in modules.cpp.
#pragma once
#include <cstdint>
#include <string>

#include "posenc/alibi.hpp"
#include "posenc/kv_cache.hpp"
#include "posenc/learned.hpp"
#include "posenc/rope.hpp"
#include "posenc/sinusoidal.hpp"
#include "posenc/tasks.hpp"
#include "posenc/tiny_transformer.hpp"
#include "streaming.hpp"

namespace posenc::bindings {

// ---- errors (errors.cpp) ----
// The flag (an int32 in wasm memory) that is 1 while an exception is held.
std::uintptr_t heldErrorFlag();
std::string takeExceptionCode();
std::string takeExceptionMessage();  // releases the held exception

// ---- functions (functions.cpp) ----
// Frees what consecutive calls reuse (the RoPE and sinusoidal step caches): heap figures then count only
// what callers own.
void releaseCaches();
void sinusoidalTable(double max_len, double d, std::uintptr_t out, double out_len, double base, double start,
                     double count);
void sinusoidalTableSlices(double max_len, double d, std::uintptr_t scratch, double scratch_len, double base,
                           double start, double count, const TableSliceSink& on_slice);
void sinusoidalForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t out, double max_len,
                       double offset, double base, double p, bool train, std::uintptr_t keep, double keep_len,
                       double seed);
void learnedForward(std::uintptr_t x, double batch, double seq, double d, std::uintptr_t table, double max_len,
                    double width, std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len,
                    double scale, bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta,
                    double beta_len, double eps, double p, bool train, std::uintptr_t keep, double keep_len,
                    double seed);
void clippedRelativeBias(std::uintptr_t table, double rows, double cols, double num_heads, double max_distance,
                         double q_len, double k_len, double q_offset, std::uintptr_t out, double out_len);
double ropeParams(double d_rot, double base, std::uintptr_t scaling, double max_position_embeddings, double seq_len,
                  std::uintptr_t out);
void ropeForward(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                 double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, double offset,
                 bool inverse, std::uintptr_t scaling, double max_position_embeddings, double seq_len);
void ropeForwardThrough(double batch, double heads, double seq, double head_dim, std::uintptr_t scratch,
                        double scratch_len, double d_rot, double base, int layout, double offset, bool inverse,
                        std::uintptr_t scaling, double max_position_embeddings, double seq_len, const RopeSliceIo& load,
                        const RopeSliceIo& store);
void ropeForwardMrope(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                      double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, bool inverse,
                      std::uintptr_t scaling, double max_position_embeddings, double seq_len, double mrope_t,
                      double mrope_h, double mrope_w, bool mrope_interleaved);
void visionRopeForward(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
                       int style, double grid_h, double grid_w, double base, double spatial_merge_size, bool inverse);
double ropeThroughMinScratch(double seq, double head_dim);  // floats ropeForwardThrough's scratch needs at least
void xposApply(std::uintptr_t x, double batch, double heads, double seq, double head_dim, std::uintptr_t out,
               bool key, std::uintptr_t positions, double positions_len, double offset, double base, double gamma,
               double scale_base, double center, int layout);
void alibiSlopes(double num_heads, std::uintptr_t out, double out_len);
void alibiBias(double num_heads, double q_len, double k_len, double q_offset, int mode, std::uintptr_t out,
               double out_len);
void t5Buckets(std::uintptr_t relative_positions, double n, std::uintptr_t out, bool bidirectional, double num_buckets,
               double max_distance);
void t5Bias(std::uintptr_t table, double rows, double cols, double num_heads, double q_len, double k_len,
            double q_offset, bool bidirectional, double max_distance, std::uintptr_t out, double out_len);
// The sdpa options are the pointers and the float64 block of wire.hpp's read_sdpa_options.
void sdpaOp(std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, double batch, double heads, double kv_heads,
            double q_len, double k_len, double head_dim, double v_dim, std::uintptr_t out, std::uintptr_t probs,
            std::uintptr_t bias, std::uintptr_t slopes, std::uintptr_t key_padding, std::uintptr_t mask,
            std::uintptr_t sinks, std::uintptr_t block);
void dropoutOp(std::uintptr_t x, double n, std::uintptr_t out, double p, bool train, std::uintptr_t keep,
               double keep_len, double seed);

// ---- module classes (modules.cpp) ----
SinusoidalPositionalEncoding* makeSinusoidal(double dim, double max_len, double p, double base, double seed);
void sinusoidalModuleForward(SinusoidalPositionalEncoding& m, std::uintptr_t x, double batch, double seq,
                             std::uintptr_t out, double offset);
std::uintptr_t sinusoidalModuleTable(const SinusoidalPositionalEncoding& m);
LearnedPositionalEmbedding* makeLearned(double dim, double max_len, double p, double scale, bool layer_norm,
                                        bool relative, double num_heads, double max_distance, double seed);
void learnedModuleForward(LearnedPositionalEmbedding& m, std::uintptr_t x, double batch, double seq,
                          std::uintptr_t out, double offset, std::uintptr_t positions, double positions_len);
void learnedModuleRelativeBias(const LearnedPositionalEmbedding& m, double q_len, double k_len, double q_offset,
                               std::uintptr_t out, double out_len);
std::uintptr_t learnedModuleStatePtr(LearnedPositionalEmbedding& m, int which);
double learnedModuleStateSize(LearnedPositionalEmbedding& m, int which);
RotaryPositionalEmbedding* makeRotary(double dim, double max_len, double base, int layout, std::uintptr_t scaling,
                                      double max_position_embeddings, double mrope_t, double mrope_h, double mrope_w,
                                      bool mrope_interleaved);
void rotaryModuleForward(RotaryPositionalEmbedding& m, std::uintptr_t q, double qb, double qh, double qs,
                         std::uintptr_t q_out, std::uintptr_t k, double kb, double kh, double ks, std::uintptr_t k_out,
                         double offset, std::uintptr_t positions, double positions_len);
std::uintptr_t rotaryModuleInvFreq(const RotaryPositionalEmbedding& m);
double rotaryModuleCachedLen(const RotaryPositionalEmbedding& m);
ALiBiPositionalEncoding* makeAlibi(double num_heads, double max_len);
void alibiModuleBias(const ALiBiPositionalEncoding& m, double q_len, double k_len, double q_offset, std::uintptr_t out,
                     double out_len);
void alibiModuleForward(const ALiBiPositionalEncoding& m, std::uintptr_t scores, double batch, double q_len,
                        double k_len, std::uintptr_t out, double q_offset);
std::uintptr_t alibiModuleSlopes(const ALiBiPositionalEncoding& m);
KVCache* makeKVCache(double batch, double kv_heads, double head_dim, double v_dim, double capacity);
void kvCacheAppend(KVCache& c, std::uintptr_t k, std::uintptr_t v, double n);
double kvCacheLength(const KVCache& c);
double kvCacheCapacity(const KVCache& c);
void kvCacheSdpa(const KVCache& c, std::uintptr_t q, double heads, double q_len, std::uintptr_t out, std::uintptr_t probs,
                 std::uintptr_t bias, std::uintptr_t slopes, std::uintptr_t key_padding, std::uintptr_t mask,
                 std::uintptr_t sinks, std::uintptr_t block);

// ---- gradients (gradients.cpp): outputs zeroed, then the kernels' gradients ----
void ropeBackward(std::uintptr_t dy, double batch, double heads, double seq, double head_dim, std::uintptr_t dx,
                  double d_rot, double base, int layout, std::uintptr_t positions, double positions_len, double offset,
                  bool inverse, std::uintptr_t scaling, double max_position_embeddings, double seq_len);
void xposBackward(std::uintptr_t dy, double batch, double heads, double seq, double head_dim, std::uintptr_t dx,
                  bool key, std::uintptr_t positions, double positions_len, double offset, double base, double gamma,
                  double scale_base, double center, int layout);
void learnedBackward(std::uintptr_t dy, std::uintptr_t x, double batch, double seq, double d, std::uintptr_t table,
                     double max_len, double width, std::uintptr_t dx, std::uintptr_t d_table, std::uintptr_t d_gamma,
                     std::uintptr_t d_beta, double offset, std::uintptr_t positions, double positions_len, double scale,
                     bool use_ln, std::uintptr_t gamma, double gamma_len, std::uintptr_t beta, double beta_len, double eps,
                     double p, bool train, std::uintptr_t keep, double keep_len, double seed);
void clippedRelativeBiasBackward(std::uintptr_t d_bias, double batch, double num_heads, double max_distance,
                                 double q_len, double k_len, double q_offset, std::uintptr_t d_table);
void t5BiasBackward(std::uintptr_t d_bias, double batch, double num_heads, double num_buckets, double q_len,
                    double k_len, double q_offset, bool bidirectional, double max_distance, std::uintptr_t d_table);
void sdpaBackward(std::uintptr_t q, std::uintptr_t k, std::uintptr_t v, std::uintptr_t d_out, double batch,
                  double heads, double kv_heads, double q_len, double k_len, double head_dim, double v_dim,
                  std::uintptr_t dq, std::uintptr_t dk, std::uintptr_t dv, std::uintptr_t bias, double bias_len,
                  bool bias_has_batch, std::uintptr_t d_bias, int alibi_mode, std::uintptr_t slopes, double slopes_len,
                  bool causal, double q_offset, double scale, std::uintptr_t sinks, double sinks_len,
                  std::uintptr_t d_sinks);
void layerNormBackward(std::uintptr_t dy, std::uintptr_t x, double rows, double d, std::uintptr_t gamma,
                       double gamma_len, double eps, std::uintptr_t dx, std::uintptr_t d_gamma, std::uintptr_t d_beta);
void dropoutBackward(std::uintptr_t dy, double n, std::uintptr_t dx, double p, bool train, std::uintptr_t keep,
                     double keep_len, double seed);

// ---- the tiny transformer and tasks (training.cpp) ----
std::string tinyTransformerFieldName(int i);
TinyTransformer* makeTinyTransformer(std::uintptr_t block, std::uintptr_t scaling, std::uintptr_t eval_scaling);
void tinyTransformerTrainStep(TinyTransformer& m, std::uintptr_t tokens, std::uintptr_t targets, std::uintptr_t mask,
                              double mask_len, double batch, double seq, std::uintptr_t out);
void tinyTransformerEvaluate(TinyTransformer& m, std::uintptr_t tokens, std::uintptr_t targets, std::uintptr_t mask,
                             double mask_len, double batch, double seq, std::uintptr_t out);
void tinyTransformerAttention(TinyTransformer& m, std::uintptr_t tokens, double batch, double seq, double layer,
                              std::uintptr_t out);
double tinyTransformerTensorCount(const TinyTransformer& m);
std::string tinyTransformerTensorName(const TinyTransformer& m, double i);
std::string tinyTransformerTensorShape(const TinyTransformer& m, double i);
double tinyTransformerTensorOffset(const TinyTransformer& m, double i);
std::uintptr_t tinyTransformerParameters(TinyTransformer& m);
double tinyTransformerParameterCount(const TinyTransformer& m);
double tinyTransformerSteps(const TinyTransformer& m);
std::uintptr_t tinyTransformerFirstMoment(const TinyTransformer& m);
std::uintptr_t tinyTransformerSecondMoment(const TinyTransformer& m);
void tinyTransformerRestoreOptimizer(TinyTransformer& m, std::uintptr_t first, std::uintptr_t second, double n, double steps);
Task* makeTask(int kind, double symbols, std::uintptr_t text, double text_len);
double taskVocabSize(const Task& t);
double taskSequenceLength(const Task& t, double length);
double taskMaxLength(const Task& t);
std::string taskAlphabet(const Task& t);
void taskSample(const Task& t, double batch, double length, double seed, std::uintptr_t tokens, std::uintptr_t targets,
                std::uintptr_t mask);

}  // namespace posenc::bindings
