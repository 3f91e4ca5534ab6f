#include "cli/model_command.hpp"

#include <ostream>

#include "cli/maestro_csv.hpp"
#include "model/model.hpp"

namespace metronome::cli {

ModelCommand::ModelCommand(CLI::App& app) {
  command_ = app.add_subcommand("model",
                                "Run the analytical cost model on every selected layer x dataflow");
  jobs_.add_to(*command_);
  command_
      ->add_option("--semantics", semantics_,
                   "Directive semantics: exact (default) or maestro (MAESTRO's counting; --csv "
                   "then adds MAESTRO's own column names)")
      ->check(CLI::IsMember({"exact", "maestro"}))
      ->type_name("MODE");
  command_
      ->add_option("--noc-model", noc_model_,
                   "NoC cost model of the exact semantics: simple (default) or contention")
      ->check(CLI::IsMember({"simple", "contention"}))
      ->type_name("MODEL");
}

int ModelCommand::run(std::ostream& out, std::ostream& err) const {
  ModelOptions options;
  options.semantics = semantics_ == "maestro" ? SemanticsMode::Maestro : SemanticsMode::Exact;
  options.noc_model = noc_model_ == "contention" ? NocModel::Contention : NocModel::Simple;
  if (options.semantics == SemanticsMode::Maestro && options.noc_model == NocModel::Contention)
    throw UsageError(
        "--noc-model contention: applies to --semantics exact only (--semantics maestro uses "
        "MAESTRO's own NoC model; expected --noc-model simple, or no --noc-model)");
  NocModelName noc = NocModelName::None;
  if (options.semantics == SemanticsMode::Exact)
    noc =
        options.noc_model == NocModel::Contention ? NocModelName::Contention : NocModelName::Simple;
  JobCommandOptions::ExtraCsvColumns extra;
  if (options.semantics == SemanticsMode::Maestro)
    extra = [](const std::vector<Job>& jobs, const Hardware& hw, const Workload& workload) {
      return maestro_csv_columns(jobs, hw, workload.network);
    };
  // Layers of one shape share their analysis (a network repeats shapes).
  ModelSession session;
  return jobs_.run(
      out, err,
      [&](const Job& job, const Hardware& hw) {
        Metrics m = session.evaluate(*job.layer, *job.mapping, hw, options);
        m.noc_model = noc;
        return m;
      },
      extra);
}

}  // namespace metronome::cli
