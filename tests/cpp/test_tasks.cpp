#include <catch2/catch.hpp>

#include <vector>

#include "check.hpp"
#include "posenc/optimizer.hpp"
#include "posenc/tasks.hpp"

using posenc::Task;
using posenc::TaskKind;

TEST_CASE("copy and reverse batches: tokens, next-token targets and the loss mask on the answer half", "[tasks]") {
  for (TaskKind kind : {TaskKind::Copy, TaskKind::Reverse}) {
    const Task task({kind, 6, ""});
    CHECK(task.vocab_size() == 7);
    for (std::int64_t L : {1, 4, 32}) {
      const auto b = task.sample(3, L, 9);
      REQUIRE(b.seq == 2 * L);
      REQUIRE(b.tokens.size() == static_cast<std::size_t>(3 * 2 * L));
      for (std::int64_t r = 0; r < 3; ++r) {
        const auto* tok = b.tokens.data() + r * b.seq;
        const auto* tgt = b.targets.data() + r * b.seq;
        CHECK(tok[L] == 6);  // separator
        for (std::int64_t t = 0; t + 1 < b.seq; ++t) CHECK(tgt[t] == tok[t + 1]);
        for (std::int64_t t = 0; t < b.seq; ++t) CHECK(b.mask[r * b.seq + t] == (t >= L ? 1 : 0));
        for (std::int64_t i = 0; i < L; ++i) CHECK(tgt[L + i] == tok[kind == TaskKind::Copy ? i : L - 1 - i]);
      }
    }
  }
}

TEST_CASE("batches at consecutive seeds are unrelated, not one stream shifted by a symbol", "[tasks]") {
  // A trainer draws step i's batch at seed base + i: overlapping batches would let a model memorise them.
  const Task task({TaskKind::Copy, 64, ""});
  const std::int64_t L = 32;
  for (std::uint64_t seed : {1u, 1000u, 1000003u}) {
    const auto a = task.sample(1, L, seed), b = task.sample(1, L, seed + 1);
    for (std::int64_t shift = 0; shift <= 2; ++shift) {
      int same = 0;
      for (std::int64_t i = 0; i + shift < L; ++i) same += b.tokens[i] == a.tokens[i + shift];
      CHECK(same < 8);  // chance is about (L − shift) / 64
    }
  }
}

TEST_CASE("recall batches answer with the value after the key's last occurrence", "[tasks]") {
  const Task task({TaskKind::Recall, 3, ""});
  CHECK(task.vocab_size() == 7);
  const auto b = task.sample(50, 6, 4);
  REQUIRE(b.seq == 14);
  for (std::int64_t r = 0; r < 50; ++r) {
    const auto* tok = b.tokens.data() + r * b.seq;
    CHECK(tok[12] == 6);
    const std::int32_t key = tok[13];
    std::int32_t answer = -1;
    for (int i = 0; i < 6; ++i)
      if (tok[2 * i] == key) answer = tok[2 * i + 1];
    CHECK(answer >= 3);
    CHECK(b.targets[r * b.seq + 13] == answer);
    for (int t = 0; t < 14; ++t) CHECK(b.mask[r * b.seq + t] == (t == 13 ? 1 : 0));
  }
}

TEST_CASE("char_lm windows of the text, and the same seed gives the same batch", "[tasks]") {
  const Task task({TaskKind::CharLm, 0, "abcabcabd"});
  CHECK(task.vocab_size() == 4);
  CHECK(task.alphabet() == "abcd");
  const auto b = task.sample(4, 8, 1);
  for (std::int64_t r = 0; r < 4; ++r) CHECK(b.tokens[r * 8] == 0);  // only one window of 9 characters
  CHECK(b.targets[7] == 3);
  const Task text({TaskKind::CharLm, 0, ""});
  const auto x = text.sample(2, 64, 7), y = text.sample(2, 64, 7), z = text.sample(2, 64, 8);
  CHECK(x.tokens == y.tokens);
  CHECK(x.tokens != z.tokens);
  check::throws_code([&] { task.sample(1, 9, 0); }, "BAD_SIZE", "length");
  check::throws_code([&] { Task t({TaskKind::Copy, 1, ""}); }, "OUT_OF_RANGE", "symbols");
  check::throws_code([] { posenc::parse_task_kind("sort"); }, "OUT_OF_RANGE", "task");
}

TEST_CASE("learning rate warm-up and cosine decay; clipping; one AdamW step", "[optimizer]") {
  posenc::AdamWOptions o;
  o.learning_rate = 1.0;
  o.warmup_steps = 4;
  o.total_steps = 14;
  o.min_learning_rate_ratio = 0.1;
  CHECK(posenc::learning_rate_at(o, 0) == Approx(0.25));
  CHECK(posenc::learning_rate_at(o, 3) == Approx(1.0));
  CHECK(posenc::learning_rate_at(o, 9) == Approx(0.55));
  CHECK(posenc::learning_rate_at(o, 14) == Approx(0.1));
  CHECK(posenc::learning_rate_at(o, 100) == Approx(0.1));
  std::vector<float> g = {3, 4};
  CHECK(posenc::gradient_norm(g) == Approx(5.0));
  CHECK(posenc::clip_gradients(g, 5.0, 1.0) == Approx(0.2));
  CHECK(g[0] == Approx(0.6f));
  o.weight_decay = 0.5;
  o.beta1 = 0.9;
  o.beta2 = 0.99;
  o.eps = 1e-8;
  posenc::AdamW adam(o, 2);
  std::vector<float> p = {1.0f, 2.0f};
  const std::vector<std::uint8_t> decay = {1, 0};
  adam.update(p, std::vector<float>{0.5f, -2.0f}, decay, 0.1);
  // Step 1: m̂ = g, v̂ = g², so the step is lr·sign(g); decay shrinks p[0] by lr·wd first.
  CHECK(p[0] == Approx(1.0 - 0.05 - 0.1).epsilon(1e-6));
  CHECK(p[1] == Approx(2.0 + 0.1).epsilon(1e-6));
  o.beta2 = 1.0;
  check::throws_code([&] { posenc::validate_adamw(o); }, "OUT_OF_RANGE", "beta2");
}
