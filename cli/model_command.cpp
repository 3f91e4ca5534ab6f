#include "cli/model_command.hpp"

#include <ostream>

#include "model/model.hpp"

namespace metronome::cli {

ModelCommand::ModelCommand(CLI::App& app) {
  command_ = app.add_subcommand("model",
                                "Run the analytical cost model on every selected layer x dataflow");
  jobs_.add_to(*command_);
  command_
      ->add_option("--semantics", semantics_,
                   "Directive semantics: exact (default) or maestro (MAESTRO's counting)")
      ->check(CLI::IsMember({"exact", "maestro"}))
      ->type_name("MODE");
  command_->add_option("--noc-model", noc_model_, "NoC cost model: simple (default) or contention")
      ->check(CLI::IsMember({"simple", "contention"}))
      ->type_name("MODEL");
}

int ModelCommand::run(std::ostream& out, std::ostream& err) const {
  ModelOptions options;
  options.semantics = semantics_ == "maestro" ? SemanticsMode::Maestro : SemanticsMode::Exact;
  options.noc_model = noc_model_ == "contention" ? NocModel::Contention : NocModel::Simple;
  return jobs_.run(out, err, [&](const Job& job, const Hardware& hw) {
    return evaluate_layer(*job.layer, *job.mapping, hw, options);
  });
}

}  // namespace metronome::cli
