#include "sim/systemc/engine_module.hpp"

#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <systemc>

namespace metronome::sim {
namespace {

// One process, re-triggered every clock period, calls Engine::cycle(). No sc_clock: a clock
// would wake the kernel twice per cycle for nothing.
class EngineModule : public sc_core::sc_module {
 public:
  EngineModule(const sc_core::sc_module_name& name, Engine& engine)
      : sc_core::sc_module(name), engine_(engine) {
    SC_METHOD(tick);
  }
  std::exception_ptr failure() const { return failure_; }

 private:
  SC_HAS_PROCESS(EngineModule);

  void tick() {
    try {
      engine_.cycle();
    } catch (...) {
      failure_ = std::current_exception();
      sc_core::sc_stop();
      return;
    }
    if (engine_.done()) {
      sc_core::sc_stop();
      return;
    }
    next_trigger(kPeriod);
  }

  static inline const sc_core::sc_time kPeriod{1, sc_core::SC_NS};
  Engine& engine_;
  std::exception_ptr failure_;
};

bool elaborated = false;

}  // namespace

void run_systemc(Engine& engine) {
  if (elaborated) throw std::logic_error("run_systemc: SystemC allows one simulation per process");
  elaborated = true;
  // SystemC's banner would land on stdout, in front of tables and JSON.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  EngineModule module("engine", engine);
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  if (module.failure()) std::rethrow_exception(module.failure());
}

}  // namespace metronome::sim

// libsystemc.so's main() calls sc_main(). metronome's programs have their own main() and run
// SystemC through run_systemc(), so this entry point only satisfies the linker and is never
// reached.
int sc_main(int /*argc*/, char* /*argv*/[]) {
  return 1;
}
