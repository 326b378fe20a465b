// posenc native in the benchmark: the C++ library built for this host's best xsimd arch, driven by
// bench/run.mjs over stdin so that native runs interleave with the JavaScript implementations.
// One command a line, one answer a line (or, for a quick look, each argument is one command line):
//   time <reps> <op> <args…>   → wall and CPU nanoseconds per rep (the harness takes medians)
//   dump <path> <op> <args…>   → writes the op's float32 outputs from pristine inputs to <path>, "ok"
//   info                       → {"arch": …, "compiler": …}
// Ops (inputs are baselines/inputs.mjs's deterministic values, reproduced here):
//   table <start> <count> <d>                       sinusoidal rows into a preallocated table
//   rope <heads> <seq> <dim> <half|interleaved> <offset>   q and k [1,heads,seq,dim] rotated in place
//   sdpa <heads> <q_len> <k_len> <dim>              causal attention with ALiBi applied in the kernel
//   decode_rope <heads> <dim> <max_len> <position>  one token of q and k through the cached RoPE module
//   sdpa_gqa <heads> <kv_heads> <len> <dim> <repeat>  causal GQA prefill; repeat 1: K/V copied to every head
//   sdpa_decode <heads> <kv_heads> <k_len> <dim> <window>  one query token against k_len keys (window 0: none)
//   copy <floats>                                   memcpy of K+V-sized buffers: the bandwidth ceiling
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "posenc/attention.hpp"
#include "posenc/rope.hpp"
#include "posenc/simd.hpp"
#include "posenc/sinusoidal.hpp"

namespace {

// baselines/inputs.mjs: fmix32 of (i ^ stream·golden), top 23 bits scaled to [-1, 1).
std::uint32_t mix(std::uint32_t i, std::uint32_t stream) {
  std::uint32_t h = i ^ (stream * 0x9e3779b9u);
  h = (h ^ (h >> 16)) * 0x85ebca6bu;
  h = (h ^ (h >> 13)) * 0xc2b2ae35u;
  return h ^ (h >> 16);
}

std::vector<float> uniform(std::size_t n, std::uint32_t stream) {
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(static_cast<double>(mix(static_cast<std::uint32_t>(i), stream) >> 9) * 0x1p-22 - 1.0);
  }
  return out;
}

enum Stream : std::uint32_t { kQ = 1, kK = 2, kV = 3 };

// A prepared op: run() is what gets timed; outputs() are the results after run() on pristine inputs.
struct Op {
  virtual ~Op() = default;
  virtual void run() = 0;
  virtual void reset() {}
  virtual std::vector<const std::vector<float>*> outputs() const = 0;
};

struct TableOp : Op {
  std::int64_t start, count, d;
  std::vector<float> out;
  TableOp(std::int64_t s, std::int64_t c, std::int64_t dim) : start(s), count(c), d(dim), out(c * dim) {}
  void run() override {
    posenc::SinusoidalTableOptions o;
    o.start = start;
    o.count = count;
    posenc::sinusoidal_table(start + count, d, out, o);
  }
  std::vector<const std::vector<float>*> outputs() const override { return {&out}; }
};

struct RopeOp : Op {
  posenc::Bhsd shape;
  posenc::RopeForwardOptions options;
  posenc::RopeCache cache;  // reused across calls, as the package's bindings do
  std::vector<float> q0, k0, q, k;
  RopeOp(std::int64_t heads, std::int64_t seq, std::int64_t dim, const std::string& layout, std::int64_t offset)
      : shape{1, heads, seq, dim}, q0(uniform(heads * seq * dim, kQ)), k0(uniform(heads * seq * dim, kK)), q(q0), k(k0) {
    options.layout = posenc::parse_rope_layout(layout);
    options.offset = offset;
    options.cache = &cache;
  }
  void run() override {  // in place, like the zero-copy path of the package
    posenc::rope_forward(q, shape, q, options);
    posenc::rope_forward(k, shape, k, options);
  }
  void reset() override { q = q0, k = k0; }
  std::vector<const std::vector<float>*> outputs() const override { return {&q, &k}; }
};

struct SdpaOp : Op {
  posenc::AttentionShape shape;
  posenc::SdpaOptions options;
  std::vector<float> q, k, v, out;
  SdpaOp(std::int64_t heads, std::int64_t q_len, std::int64_t k_len, std::int64_t dim)
      : shape{1, heads, q_len, k_len, dim, dim},
        q(uniform(heads * q_len * dim, kQ)), k(uniform(heads * k_len * dim, kK)), v(uniform(heads * k_len * dim, kV)),
        out(heads * q_len * dim) {
    options.alibi = posenc::AlibiMode::Causal;
    options.causal = true;
  }
  void run() override { posenc::sdpa(q, k, v, shape, out, {}, options); }
  std::vector<const std::vector<float>*> outputs() const override { return {&out}; }
};

// GQA prefill (W5): repeat 1 hands sdpa K/V already repeated to every query head, the baseline GQA must match.
struct SdpaGqaOp : Op {
  posenc::AttentionShape shape;
  posenc::SdpaOptions options;
  std::vector<float> q, k, v, out;
  SdpaGqaOp(std::int64_t heads, std::int64_t kv_heads, std::int64_t len, std::int64_t dim, bool repeat)
      : shape{1, heads, len, len, dim, dim}, q(uniform(heads * len * dim, kQ)),
        k(uniform(kv_heads * len * dim, kK)), v(uniform(kv_heads * len * dim, kV)), out(heads * len * dim) {
    shape.kv_heads = kv_heads;
    if (repeat) {
      const std::int64_t rows = len * dim, rep = heads / kv_heads;
      std::vector<float> rk, rv;
      for (std::int64_t g = 0; g < kv_heads; ++g)
        for (std::int64_t r = 0; r < rep; ++r) {
          rk.insert(rk.end(), k.begin() + g * rows, k.begin() + (g + 1) * rows);
          rv.insert(rv.end(), v.begin() + g * rows, v.begin() + (g + 1) * rows);
        }
      k.swap(rk);
      v.swap(rv);
      shape.kv_heads = heads;
    }
    options.causal = true;
  }
  void run() override { posenc::sdpa(q, k, v, shape, out, {}, options); }
  std::vector<const std::vector<float>*> outputs() const override { return {&out}; }
};

// One decode step (W6): q_len 1 at position k_len − 1; with a window only the last `window` keys are read.
struct SdpaDecodeOp : Op {
  posenc::AttentionShape shape;
  posenc::SdpaOptions options;
  std::vector<float> q, k, v, out;
  SdpaDecodeOp(std::int64_t heads, std::int64_t kv_heads, std::int64_t k_len, std::int64_t dim, std::int64_t window)
      : shape{1, heads, 1, k_len, dim, dim}, q(uniform(heads * dim, kQ)), k(uniform(kv_heads * k_len * dim, kK)),
        v(uniform(kv_heads * k_len * dim, kV)), out(heads * dim) {
    shape.kv_heads = kv_heads;
    if (window > 0) options.window = window;
    options.causal = true;
  }
  void run() override { posenc::sdpa(q, k, v, shape, out, {}, options); }
  std::vector<const std::vector<float>*> outputs() const override { return {&out}; }
};

struct CopyOp : Op {
  std::vector<float> src, dst;
  explicit CopyOp(std::int64_t floats) : src(uniform(floats, kK)), dst(floats) {}
  void run() override { std::copy(src.begin(), src.end(), dst.begin()); }
  std::vector<const std::vector<float>*> outputs() const override { return {&dst}; }
};

struct DecodeRopeOp : Op {
  posenc::Bhsd shape;
  std::int64_t position;
  posenc::RotaryPositionalEmbedding rope;
  std::vector<float> q0, k0, q, k;
  std::uint64_t builds_after_warmup;
  DecodeRopeOp(std::int64_t heads, std::int64_t dim, std::int64_t max_len, std::int64_t pos)
      : shape{1, heads, 1, dim}, position(pos), rope(dim, max_len),
        q0(uniform(heads * dim, kQ)), k0(uniform(heads * dim, kK)), q(q0), k(k0) {
    run();  // the first step past max_len grows the cache; later steps must not rebuild it
    reset();
    builds_after_warmup = rope.cache_builds();
  }
  void run() override { rope.forward(q, shape, q, k, shape, k, position); }
  void reset() override { q = q0, k = k0; }
  std::vector<const std::vector<float>*> outputs() const override { return {&q, &k}; }
};

std::unique_ptr<Op> make_op(std::istringstream& in) {
  std::string op;
  in >> op;
  if (op == "table") {
    std::int64_t start, count, d;
    in >> start >> count >> d;
    return std::make_unique<TableOp>(start, count, d);
  }
  if (op == "rope") {
    std::int64_t heads, seq, dim, offset;
    std::string layout;
    in >> heads >> seq >> dim >> layout >> offset;
    return std::make_unique<RopeOp>(heads, seq, dim, layout, offset);
  }
  if (op == "sdpa") {
    std::int64_t heads, q_len, k_len, dim;
    in >> heads >> q_len >> k_len >> dim;
    return std::make_unique<SdpaOp>(heads, q_len, k_len, dim);
  }
  if (op == "sdpa_gqa") {
    std::int64_t heads, kv_heads, len, dim, repeat;
    in >> heads >> kv_heads >> len >> dim >> repeat;
    return std::make_unique<SdpaGqaOp>(heads, kv_heads, len, dim, repeat != 0);
  }
  if (op == "sdpa_decode") {
    std::int64_t heads, kv_heads, k_len, dim, window;
    in >> heads >> kv_heads >> k_len >> dim >> window;
    return std::make_unique<SdpaDecodeOp>(heads, kv_heads, k_len, dim, window);
  }
  if (op == "copy") {
    std::int64_t floats;
    in >> floats;
    return std::make_unique<CopyOp>(floats);
  }
  if (op == "decode_rope") {
    std::int64_t heads, dim, max_len, position;
    in >> heads >> dim >> max_len >> position;
    return std::make_unique<DecodeRopeOp>(heads, dim, max_len, position);
  }
  throw std::runtime_error("unknown op '" + op + "'");
}

// CPU time of this thread: leaves out the time a busy machine did not run it.
double cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

std::string compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#else
  return "unknown";
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::unique_ptr<Op>> ops;  // prepared once per distinct op line
  auto prepared = [&](const std::string& spec) -> Op& {
    auto& slot = ops[spec];
    if (!slot) {
      std::istringstream in(spec);
      slot = make_op(in);
    }
    return *slot;
  };
  std::string line;
  int arg = 1;
  while (argc > 1 ? arg < argc : static_cast<bool>(std::getline(std::cin, line))) {
    if (argc > 1) line = argv[arg++];
    std::istringstream in(line);
    std::string command;
    in >> command;
    try {
      if (command == "info") {
        std::cout << "{\"arch\":\"" << posenc::simd::arch_name() << "\",\"compiler\":\"" << compiler() << "\"}"
                  << std::endl;
      } else if (command == "time") {
        long reps;
        in >> reps;
        std::string spec;
        std::getline(in >> std::ws, spec);
        Op& op = prepared(spec);
        const double c0 = cpu_ns();
        const auto t0 = std::chrono::steady_clock::now();
        for (long r = 0; r < reps; ++r) op.run();
        const auto t1 = std::chrono::steady_clock::now();
        const double cpu = cpu_ns() - c0;
        std::cout << std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(reps) << ' '
                  << cpu / static_cast<double>(reps) << std::endl;
      } else if (command == "dump") {
        std::string path, spec;
        in >> path;
        std::getline(in >> std::ws, spec);
        Op& op = prepared(spec);
        op.reset();
        op.run();
        std::ofstream file(path, std::ios::binary);
        for (const auto* v : op.outputs()) {
          file.write(reinterpret_cast<const char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
        }
        op.reset();
        std::cout << "ok" << std::endl;
      } else if (command == "cache_builds") {
        std::string spec;
        std::getline(in >> std::ws, spec);
        auto* op = dynamic_cast<DecodeRopeOp*>(&prepared(spec));
        std::cout << (op ? op->rope.cache_builds() - op->builds_after_warmup : 0) << std::endl;
      } else {
        std::cout << "error unknown command '" << command << "'" << std::endl;
      }
    } catch (const std::exception& e) {
      std::cout << "error " << e.what() << std::endl;
    }
  }
  return 0;
}
