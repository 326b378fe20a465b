// Seeded synthetic tasks for length-generalisation experiments: each makes (tokens, targets, loss mask) batches
// at any content length L, so a model trained at L can be evaluated at 2L, 4L, 8L.
//   copy     x_1 … x_L SEP x_1 … x_L        loss on the copied half
//   reverse  x_1 … x_L SEP x_L … x_1        loss on the reversed half
//   recall   k_1 v_1 … k_L v_L SEP q a      loss on the answer a: the value after the last occurrence of key q
//   char_lm  L + 1 consecutive characters   loss everywhere (next character)
// tokens are the sequence without its last symbol, targets without its first (next-token prediction).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace posenc {

enum class TaskKind { Copy, Reverse, Recall, CharLm };
TaskKind parse_task_kind(const std::string& name);  // "copy" | "reverse" | "recall" | "char_lm", else OUT_OF_RANGE
const char* task_kind_name(TaskKind kind);

struct TaskOptions {
  TaskKind kind = TaskKind::Copy;
  std::int64_t symbols = 8;  // copy/reverse: alphabet size; recall: number of keys (and of values)
  std::string text;          // char_lm; empty: default_task_text()
};

struct TaskBatch {
  std::int64_t batch = 0;
  std::int64_t seq = 0;
  std::vector<std::int32_t> tokens;   // [batch, seq]
  std::vector<std::int32_t> targets;  // [batch, seq]
  std::vector<std::uint8_t> mask;     // [batch, seq], 1 where the loss is taken
};

// A short text written for this project (public domain), the char_lm default.
const std::string& default_task_text();

class Task {
 public:
  explicit Task(const TaskOptions& options);  // BAD_SIZE / OUT_OF_RANGE naming the option

  std::int64_t vocab_size() const { return vocab_size_; }
  // The model's sequence length for content length L: copy/reverse 2L, recall 2L + 2, char_lm L.
  std::int64_t sequence_length(std::int64_t length) const;
  // The longest L this task can make (char_lm: the text's length − 1; others: unbounded here).
  std::int64_t max_length() const;
  // A batch; the same (batch, length, seed) gives the same batch on every build.
  TaskBatch sample(std::int64_t batch, std::int64_t length, std::uint64_t seed) const;
  // char_lm: the character of each token id.
  const std::string& alphabet() const { return alphabet_; }

 private:
  TaskOptions options_;
  std::int64_t vocab_size_ = 0;
  std::string alphabet_;
  std::vector<std::int32_t> text_ids_;
};

}  // namespace posenc
