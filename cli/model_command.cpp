#include "cli/model_command.hpp"

#include <ostream>
#include <vector>

#include "cli/common.hpp"
#include "model/model.hpp"
#include "spec/hardware.hpp"
#include "spec/workload_parser.hpp"

namespace metronome::cli {

ModelCommand::ModelCommand(CLI::App& app) : hardware_(default_hardware_path()) {
  command_ = app.add_subcommand("model",
                                "Run the analytical cost model on every selected layer x dataflow");
  command_->add_option("workload", workload_, "MAESTRO .m workload (Network of Layers)")
      ->required()
      ->type_name("WORKLOAD.m");
  command_
      ->add_option(
          "--hw", hardware_,
          "Hardware: a YAML (or MAESTRO .m) file, or the NAME of configs/hardware/NAME.yaml")
      ->type_name("FILE|NAME")
      ->capture_default_str();
  command_
      ->add_option("--dataflow", dataflow_,
                   "Library dataflow NAME (configs/dataflows/NAME.m), a .m FILE, or all; "
                   "default: each layer's own Dataflow block")
      ->type_name("NAME|FILE|all");
  command_->add_option("--layer", layer_, "Evaluate only the layer named NAME")->type_name("NAME");
  command_->add_option("--json", json_, "Write the records as a JSON array to F (- = stdout)")
      ->type_name("F");
  command_->add_option("--csv", csv_, "Write the records as CSV to F (- = stdout)")->type_name("F");
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
  if (json_ == "-" && csv_ == "-")
    throw UsageError("--json - and --csv - both ask for stdout (expected at most one of them)");

  const Workload workload = load_workload(workload_);
  for (const std::string& warning : workload.warnings)
    err << "metronome: warning: " << warning << '\n';
  const std::vector<const Layer*> layers = select_layers(workload, layer_);
  const Hardware hardware = load_hardware(resolve_hardware(hardware_));
  const std::vector<Mapping> dataflows = select_dataflows(dataflow_);
  const std::vector<Job> jobs = plan_jobs(layers, dataflows);

  ModelOptions options;
  options.semantics = semantics_ == "maestro" ? SemanticsMode::Maestro : SemanticsMode::Exact;
  options.noc_model = noc_model_ == "contention" ? NocModel::Contention : NocModel::Simple;
  std::vector<Metrics> records;
  records.reserve(jobs.size());
  for (const Job& job : jobs)
    records.push_back(evaluate_layer(*job.layer, *job.mapping, hardware, options));

  write_result_files(records, json_, csv_);
  if (json_ != "-" && csv_ != "-") write_table(out, records);
  out.flush();
  return report_records(jobs, records, err);
}

}  // namespace metronome::cli
