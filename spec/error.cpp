#include "spec/error.hpp"

#include <fmt/format.h>

namespace metronome {

std::string SourceLocation::str() const {
  if (file.empty()) return line > 0 ? fmt::format("<input>:{}", line) : "<input>";
  if (line <= 0) return file;
  return fmt::format("{}:{}", file, line);
}

static std::string format_message(const SourceLocation& where, const std::string& problem,
                                  const std::string& expected) {
  if (expected.empty()) return fmt::format("{}: {}", where.str(), problem);
  return fmt::format("{}: {} (expected {})", where.str(), problem, expected);
}

InputError::InputError(SourceLocation where, std::string problem, std::string expected)
    : std::runtime_error(format_message(where, problem, expected)),
      where_(std::move(where)),
      problem_(std::move(problem)),
      expected_(std::move(expected)) {}

namespace {
constexpr std::size_t kShownChars = 40;

std::string_view head_of(std::string_view text) {
  std::size_t cut = kShownChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut);
}
}  // namespace

std::string shorten(std::string_view text) {
  if (text.size() <= kShownChars) return std::string(text);
  return fmt::format("{}... ({} characters)", head_of(text), text.size());
}

std::string quote(std::string_view text) {
  if (text.size() <= kShownChars) return fmt::format("'{}'", text);
  return fmt::format("'{}...' ({} characters)", head_of(text), text.size());
}

std::int64_t checked_mul(std::int64_t a, std::int64_t b, const SourceLocation& where,
                         const char* what) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw InputError(where, fmt::format("{} overflows a 64-bit integer ({} x {})", what, a, b),
                     "smaller sizes");
  return r;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, const SourceLocation& where,
                         const char* what) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw InputError(where, fmt::format("{} overflows a 64-bit integer ({} + {})", what, a, b),
                     "smaller sizes");
  return r;
}

}  // namespace metronome
