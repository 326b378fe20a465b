#include "posenc/tasks.hpp"

#include <algorithm>
#include <string>

#include "posenc/error.hpp"
#include "posenc/shapes.hpp"
#include "posenc/random.hpp"

namespace posenc {

TaskKind parse_task_kind(const std::string& name) {
  if (name == "copy") return TaskKind::Copy;
  if (name == "reverse") return TaskKind::Reverse;
  if (name == "recall") return TaskKind::Recall;
  if (name == "char_lm") return TaskKind::CharLm;
  fail(ErrorCode::OutOfRange, "task must be 'copy', 'reverse', 'recall' or 'char_lm', got '" + name + "'");
}

const char* task_kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::Copy: return "copy";
    case TaskKind::Reverse: return "reverse";
    case TaskKind::Recall: return "recall";
    case TaskKind::CharLm: return "char_lm";
  }
  return "copy";
}

const std::string& default_task_text() {
  static const std::string text =
      "A transformer reads a sentence all at once, so it cannot tell by itself which word came first. "
      "Something has to tell it where each token stands. The first answer was to add a wave to every "
      "embedding: slow waves and fast waves, one pair for each pair of dimensions, so that every position "
      "has its own pattern of values. A second answer was to learn one vector per position, as a table. "
      "That works well inside the lengths seen in training, but a table has no row for a position it never "
      "saw. A third answer turns the query and the key by an angle that grows with the position, so that "
      "their dot product only depends on how far apart they are. A fourth answer adds nothing to the "
      "tokens at all: it subtracts from each attention score a penalty that grows with the distance, a "
      "straight line whose slope differs from head to head. Which of these keeps working when the text is "
      "longer than anything seen in training? The papers give their answers, and this page lets you check "
      "them on your own machine: train a small model on short sequences, then ask it to copy, reverse or "
      "recall longer ones, and watch where each way of counting positions holds and where it breaks.\n";
  return text;
}

Task::Task(const TaskOptions& options) : options_(options) {
  if (options.kind == TaskKind::CharLm) {
    const std::string& text = options.text.empty() ? default_task_text() : options.text;
    if (text.size() < 2) {
      fail(ErrorCode::BadSize, "text must have at least 2 characters for char_lm, got " + std::to_string(text.size()));
    }
    if (text.size() > (std::size_t{1} << 26)) {
      fail(ErrorCode::BadSize, "text must have at most 67108864 characters, got " + std::to_string(text.size()));
    }
    bool seen[256] = {};
    for (unsigned char c : text) seen[c] = true;
    std::int32_t id[256] = {};
    for (int c = 0; c < 256; ++c) {
      if (seen[c]) {
        id[c] = static_cast<std::int32_t>(alphabet_.size());
        alphabet_.push_back(static_cast<char>(c));
      }
    }
    text_ids_.reserve(text.size());
    for (unsigned char c : text) text_ids_.push_back(id[c]);
    vocab_size_ = static_cast<std::int64_t>(alphabet_.size());
    return;
  }
  require_size("symbols", options.symbols);
  require_range(options.symbols >= 2 && options.symbols <= 4096, "symbols", static_cast<double>(options.symbols),
                "be in [2, 4096]");
  vocab_size_ = options.kind == TaskKind::Recall ? 2 * options.symbols + 1 : options.symbols + 1;
}

std::int64_t Task::sequence_length(std::int64_t length) const {
  switch (options_.kind) {
    case TaskKind::Copy:
    case TaskKind::Reverse: return 2 * length;
    case TaskKind::Recall: return 2 * length + 2;
    case TaskKind::CharLm: return length;
  }
  return length;
}

std::int64_t Task::max_length() const {
  if (options_.kind == TaskKind::CharLm) return static_cast<std::int64_t>(text_ids_.size()) - 1;
  return std::int64_t{1} << 24;
}

TaskBatch Task::sample(std::int64_t batch, std::int64_t length, std::uint64_t seed) const {
  require_size("batch", batch);
  require_size("length", length);
  if (length > max_length()) {
    fail(ErrorCode::BadSize, "length must be at most " + std::to_string(max_length()) + " for this task" +
                                 (options_.kind == TaskKind::CharLm ? " (the text's length - 1)" : "") + ", got " +
                                 std::to_string(length));
  }
  const std::int64_t seq = sequence_length(length);
  const std::size_t n = element_count({batch, seq});
  TaskBatch out;
  out.batch = batch;
  out.seq = seq;
  out.tokens.assign(n, 0);
  out.targets.assign(n, 0);
  out.mask.assign(n, 0);
  RandomStream rng(seed, 0x7A5C);
  const auto L = static_cast<std::size_t>(length), S = static_cast<std::size_t>(seq);
  const auto symbols = options_.symbols;
  std::vector<std::int32_t> s(S + 1);
  for (std::size_t b = 0; b < static_cast<std::size_t>(batch); ++b) {
    std::size_t first_loss = 0;
    switch (options_.kind) {
      case TaskKind::Copy:
      case TaskKind::Reverse: {
        for (std::size_t i = 0; i < L; ++i) s[i] = static_cast<std::int32_t>(rng.below(symbols));
        s[L] = static_cast<std::int32_t>(symbols);  // separator
        for (std::size_t i = 0; i < L; ++i) s[L + 1 + i] = options_.kind == TaskKind::Copy ? s[i] : s[L - 1 - i];
        first_loss = L;  // target t is s[t + 1]: the copied half starts at t = L
        break;
      }
      case TaskKind::Recall: {
        for (std::size_t i = 0; i < L; ++i) {
          s[2 * i] = static_cast<std::int32_t>(rng.below(symbols));
          s[2 * i + 1] = static_cast<std::int32_t>(symbols + rng.below(symbols));
        }
        const std::size_t pick = static_cast<std::size_t>(rng.below(length));
        const std::int32_t key = s[2 * pick];
        std::int32_t answer = s[2 * pick + 1];
        for (std::size_t i = 0; i < L; ++i)
          if (s[2 * i] == key) answer = s[2 * i + 1];  // the last occurrence wins
        s[2 * L] = static_cast<std::int32_t>(2 * symbols);  // query marker
        s[2 * L + 1] = key;
        s[2 * L + 2] = answer;
        first_loss = S - 1;
        break;
      }
      case TaskKind::CharLm: {
        const auto start = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(text_ids_.size() - L)));
        for (std::size_t i = 0; i <= L; ++i) s[i] = text_ids_[start + i];
        first_loss = 0;
        break;
      }
    }
    for (std::size_t t = 0; t < S; ++t) {
      out.tokens[b * S + t] = s[t];
      out.targets[b * S + t] = s[t + 1];
      out.mask[b * S + t] = t >= first_loss ? 1 : 0;
    }
  }
  return out;
}

}  // namespace posenc
