#pragma once
// Expectations shared by the tests of the input readers: the InputError a call throws, and a
// substring check that prints the whole message when it fails.

#include <gtest/gtest.h>

#include <string>

#include "spec/error.hpp"

namespace metronome::testing_errors {

// Runs `f`, expecting an InputError; returns it for inspection (a test failure when none).
template <typename F>
InputError expect_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError thrown";
  return InputError(SourceLocation{}, "none");
}

}  // namespace metronome::testing_errors

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)
