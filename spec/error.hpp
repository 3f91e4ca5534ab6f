#pragma once
// The one exception type of the project: bad input, reported as
// "FILE:LINE: what is wrong (what was expected)". The CLI maps it to exit status 2.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace metronome {

struct SourceLocation {
  std::string file;  // empty when the input did not come from a file
  int line = 0;      // 1-based; 0 when unknown

  std::string str() const;  // "file:line", "file" or "<input>"
};

class InputError : public std::runtime_error {
 public:
  InputError(SourceLocation where, std::string problem, std::string expected = {});

  const SourceLocation& where() const { return where_; }
  const std::string& problem() const { return problem_; }
  const std::string& expected() const { return expected_; }

 private:
  SourceLocation where_;
  std::string problem_;
  std::string expected_;
};

// Input echoed in a message (names, keys, values) goes through these, so that a message stays
// short and printable whatever the file holds: TEXT (or 'TEXT'), or its first 40 characters
// (never cutting a UTF-8 character) followed by "... (N characters)" when longer; control
// characters and bytes that are not UTF-8 are shown as \xNN.
std::string shorten(std::string_view text);
std::string quote(std::string_view text);
// Whether `text` is well-formed UTF-8 (names end up in JSON, which must be).
bool is_utf8(std::string_view text);

// Overflow-checked arithmetic for sizes and counts; throws InputError naming `where`.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, const SourceLocation& where,
                         const char* what);
std::int64_t checked_add(std::int64_t a, std::int64_t b, const SourceLocation& where,
                         const char* what);

}  // namespace metronome
