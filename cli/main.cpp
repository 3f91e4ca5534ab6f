// The `metronome` executable: parses the command line, runs one subcommand and maps its
// outcome to the exit status (DESIGN.md, "Command line"): 0 ok, 1 a failed check, 2 bad input.

#include <CLI/CLI.hpp>
#include <exception>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <iostream>
#include <string>

#include "cli/common.hpp"
#include "cli/model_command.hpp"
#include "cli/simulate_command.hpp"
#include "cli/sweep_command.hpp"
#include "cli/validate_command.hpp"
#include "spec/error.hpp"

namespace {

// "FILE:LINE: problem (expected ...)"; errors that do not come from a file (e.g. an option the
// engine does not support) leave out the "<input>" placeholder.
std::string describe(const metronome::InputError& e) {
  if (!e.where().file.empty() || e.where().line > 0) return e.what();
  if (e.expected().empty()) return e.problem();
  return e.problem() + " (expected " + e.expected() + ")";
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // A fixed threshold: blocks of 1 MiB and more (an L2's dense arrays, the retention heap, pools
  // that double) come from mmap and go back to the system when freed. glibc's default threshold
  // climbs after such frees and later large blocks fragment the heap: simulating VGG16 conv1_2
  // kept ~25 % more resident than it used (measured with /proc/PID/status, sim/DESIGN.md).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  CLI::App app{
      "metronome: an analytical cost model and a cycle-level simulator of DNN "
      "accelerators, and the comparison of the two",
      "metronome"};
  app.require_subcommand(1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "metronome: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
  metronome::cli::ModelCommand model(app);
  metronome::cli::ValidateCommand validate(app);
  metronome::cli::SimulateCommand simulate(app);
  metronome::cli::SweepCommand sweep(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is a "parse error" with status 0
  }

  try {
    if (model.selected()) return model.run(std::cout, std::cerr);
    if (validate.selected()) return validate.run(std::cout, std::cerr);
    if (simulate.selected()) return simulate.run(std::cout, std::cerr);
    if (sweep.selected()) return sweep.run(std::cout, std::cerr);
    return 2;  // unreachable: CLI11 requires a subcommand
  } catch (const metronome::InputError& e) {
    std::cout.flush();
    std::cerr << "metronome: " << describe(e) << '\n';
    return 2;
  } catch (const metronome::cli::UsageError& e) {
    std::cout.flush();
    std::cerr << "metronome: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "metronome: internal error: " << e.what() << '\n';
    return 1;
  }
}
