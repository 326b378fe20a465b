// The bindings' streaming calls (bindings/streaming.cpp), plain C++ tested natively.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "check.hpp"
#include "posenc/rope.hpp"
#include "posenc/rope_kernel.hpp"
#include "posenc/sinusoidal.hpp"
#include "streaming.hpp"

using posenc::Bhsd;
using posenc::RopeForwardOptions;
using posenc::RopeLayout;
using posenc::SinusoidalTableOptions;

namespace {

// rope_forward into a fresh out: the bits the streaming call must give.
std::vector<float> run(const std::vector<float>& x, const Bhsd& shape, const RopeForwardOptions& opt) {
  std::vector<float> out(x.size());
  posenc::rope_forward(x, shape, out, opt);
  return out;
}

// rope_forward_through over a tensor held in x, moved through a scratch of scratch_len floats by
// callbacks that record every slice they are asked for.
struct Through {
  std::vector<float> out;
  std::vector<std::vector<std::int64_t>> slices;
};
Through run_through(const std::vector<float>& x, const Bhsd& shape, std::size_t scratch_len, const RopeForwardOptions& opt) {
  Through t{std::vector<float>(x.size(), -7.0f), {}};
  std::vector<float> scratch(scratch_len);
  const auto d = static_cast<std::size_t>(shape.head_dim), seq = static_cast<std::size_t>(shape.seq);
  const auto move = [&](bool in) {
    return [&, in](std::int64_t first, std::int64_t count, std::int64_t s0, std::int64_t rows) {
      if (in) t.slices.push_back({first, count, s0, rows});
      const auto chunk = static_cast<std::size_t>(rows) * d;
      for (std::int64_t i = 0; i < count; ++i) {
        const std::size_t at = (static_cast<std::size_t>(first + i) * seq + static_cast<std::size_t>(s0)) * d;
        float* held = scratch.data() + static_cast<std::size_t>(i) * chunk;
        if (in) std::copy(x.begin() + at, x.begin() + at + chunk, held);
        else std::copy(held, held + chunk, t.out.begin() + at);
      }
      return true;
    };
  };
  posenc::bindings::rope_forward_through(shape, scratch, move(true), move(false), opt);
  return t;
}
}  // namespace

TEST_CASE("rope_forward_through gives rope_forward's bits, a scratch-sized slice at a time", "[streaming][rope]") {
  // seq 600 over 2 x 5 (batch, head) slices, d 64. A slice is as many whole blocks of kRopeBlock positions as
  // the scratch holds (all 600 when they fit), of as many heads as then fit.
  const Bhsd shape{2, 5, 600, 64};
  struct Slicing {
    std::size_t scratch;
    std::size_t calls;
    std::vector<std::int64_t> first, last;
  };
  const std::vector<Slicing> slicings = {
      {2 * posenc::kRopeBlock * 64 + 17, 2 * 10, {0, 1, 0, 512}, {9, 1, 512, 88}},  // 512 + 88 positions, one head
      {3 * 600 * 64 + 17, 4, {0, 3, 0, 600}, {9, 1, 0, 600}},                       // whole heads, in groups of 3, 3, 3, 1
  };
  std::vector<float> x(2 * 5 * 600 * 64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  std::vector<RopeForwardOptions> cases(5);
  cases[1].layout = RopeLayout::Interleaved;
  cases[1].offset = 1000003;
  cases[2].inverse = true;
  cases[2].d_rot = 32;
  cases[3].scaling.type = posenc::RopeType::Dynamic;  // its seq_len defaults to the whole call's offset + seq
  cases[3].scaling.factor = 2.0;
  cases[3].max_position_embeddings = 64;
  cases[3].offset = 33;
  cases[4].scaling.type = posenc::RopeType::Yarn;
  cases[4].scaling.factor = 4.0;
  cases[4].max_position_embeddings = 4096;
  cases[4].inverse = true;
  for (const Slicing& slicing : slicings) {
    for (const RopeForwardOptions& opt : cases) {
      const Through t = run_through(x, shape, slicing.scratch, opt);
      const std::vector<float> want = run(x, shape, opt);
      check::close(t.out, want, 0.0, 0.0);  // equal, not merely close
      // Every (slice, position) exactly once.
      REQUIRE(t.slices.size() == slicing.calls);
      CHECK(t.slices.front() == slicing.first);
      CHECK(t.slices.back() == slicing.last);
    }
  }
}

TEST_CASE("rope_forward_through checks everything before its first load", "[streaming][rope][errors]") {
  const std::vector<float> x(2 * 3 * 4 * 8, 1.0f);
  const Bhsd shape{2, 3, 4, 8};
  const auto fails = [&](RopeForwardOptions opt, std::size_t scratch, const char* code, const char* what) {
    bool loaded = false;
    std::vector<float> held(scratch);
    const auto load = [&](std::int64_t, std::int64_t, std::int64_t, std::int64_t) { return loaded = true; };
    check::throws_code([&] { posenc::bindings::rope_forward_through(shape, held, load, load, opt); }, code, what);
    CHECK_FALSE(loaded);
  };
  RopeForwardOptions o;
  o.offset = posenc::kMaxPosition - 2;
  fails(o, 64, "BAD_POSITION", "offset + seq - 1");
  o = {};
  o.d_rot = 10;
  fails(o, 64, "ROT_DIM", "d_rot must be at most head_dim = 8, got 10");
  fails({}, 31, "SHAPE_MISMATCH", "scratch must hold at least 32 values (4 positions of one head), got 31");
  const std::vector<std::int32_t> positions = {0, 1, 2, 3};
  o = {};
  o.positions = positions;
  fails(o, 64, "SHAPE_MISMATCH", "offset positions only");
  check::close(run_through(x, shape, 32, {}).out, run(x, shape, {}), 0.0, 0.0);
}

TEST_CASE("sinusoidal table slices are the whole table's rows, bit for bit", "[streaming][sinusoidal]") {
  for (std::int64_t d : {6, 64, 130}) {
    for (std::size_t scratch_rows : {1, 7, 32, 45, 200}) {
      const SinusoidalTableOptions o{10000.0, 1000, 150};
      const auto whole = posenc::sinusoidal_table(2000, d, o);
      std::vector<float> scratch(scratch_rows * static_cast<std::size_t>(d) + 3), got(whole.size(), -9.0f);
      std::int64_t next = 0;
      posenc::bindings::sinusoidal_table_slices(2000, d, scratch, [&](std::int64_t first, std::int64_t rows) {
        REQUIRE(first == next);  // in order, no gap, no overlap
        REQUIRE(rows <= static_cast<std::int64_t>(scratch_rows));
        std::copy(scratch.begin(), scratch.begin() + rows * d, got.begin() + first * d);
        next = first + rows;
        return true;
      }, o);
      INFO("d=" << d << " scratch rows=" << scratch_rows);
      REQUIRE(next == 150);
      REQUIRE(got == whole);
    }
  }
  std::vector<float> small(5);
  check::throws_code([&] { posenc::bindings::sinusoidal_table_slices(10, 8, small, [](std::int64_t, std::int64_t) { return true; }); },
                     "SHAPE_MISMATCH", "scratch must hold at least one row");
  check::throws_code([&] { posenc::bindings::sinusoidal_table_slices(10, 8, small, [](std::int64_t, std::int64_t) { return true; }, {10000.0, 8, 3}); },
                     "BAD_POSITION", "start + count");
}

TEST_CASE("rope_forward_through: sizes whose product overflows are BAD_SIZE, not a division by zero", "[streaming][rope][errors]") {
  std::vector<float> scratch(1024);
  const auto io = [](std::int64_t, std::int64_t, std::int64_t, std::int64_t) { return true; };
  RopeForwardOptions o;
  o.d_rot = 2;
  // block · head_dim wrapped to 0 and scratch.size() / 0 raised SIGFPE.
  const Bhsd huge{1, 1, 256, std::int64_t{1} << 56};
  check::throws_code([&] { posenc::bindings::rope_forward_through(huge, scratch, io, io, o); }, "BAD_SIZE", "elements");
  // offset + seq − 1 overflowed int64 before the position check.
  o.offset = 5;
  const Bhsd long_seq{1, 1, std::numeric_limits<std::int64_t>::max(), 2};
  check::throws_code([&] { posenc::bindings::rope_forward_through(long_seq, scratch, io, io, o); }, "BAD_SIZE", "elements");
  CHECK(posenc::bindings::rope_through_min_scratch(600, 64) == 256 * 64);
  CHECK(posenc::bindings::rope_through_min_scratch(10, 64) == 10 * 64);
  CHECK(posenc::bindings::rope_through_min_scratch(10, std::numeric_limits<std::int64_t>::max()) == 0);
  CHECK(posenc::bindings::rope_through_min_scratch(0, 64) == 0);
}

TEST_CASE("streaming callbacks stop the call by returning false", "[streaming]") {
  const Bhsd shape{2, 5, 600, 8};
  std::vector<float> scratch(posenc::kRopeBlock * 8);  // one slice at a time: 10 slices x 3 blocks
  int loads = 0, stores = 0;
  const auto load = [&](std::int64_t, std::int64_t, std::int64_t, std::int64_t) { return ++loads < 3; };
  const auto store = [&](std::int64_t, std::int64_t, std::int64_t, std::int64_t) { ++stores; return true; };
  posenc::bindings::rope_forward_through(shape, scratch, load, store);
  CHECK(loads == 3);
  CHECK(stores == 2);
  std::vector<float> rows(8 * 10);
  int sinks = 0;
  posenc::bindings::sinusoidal_table_slices(100, 8, rows, [&](std::int64_t, std::int64_t) { return ++sinks < 2; });
  CHECK(sinks == 2);
}
