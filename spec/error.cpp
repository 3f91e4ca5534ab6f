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

// Length of the well-formed UTF-8 sequence at text[i], or 0 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size() || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  return n;
}

// Control characters and bytes that are not UTF-8 as \xNN; the rest as it is.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t n = utf8_length(text, i);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view head_of(std::string_view text) {
  std::size_t cut = kShownChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  return text.substr(0, cut);
}
}  // namespace

bool is_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string shorten(std::string_view text) {
  if (text.size() <= kShownChars) return printable(text);
  return fmt::format("{}... ({} characters)", printable(head_of(text)), text.size());
}

std::string quote(std::string_view text) {
  if (text.size() <= kShownChars) return fmt::format("'{}'", printable(text));
  return fmt::format("'{}...' ({} characters)", printable(head_of(text)), text.size());
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
