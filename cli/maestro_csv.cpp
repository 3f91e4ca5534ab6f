#include "cli/maestro_csv.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace metronome::cli {

namespace {

std::string integer(std::int64_t v) {
  return fmt::format("{}", v);
}

// A ratio as MAESTRO computes it (a / b in floating point); empty when b is 0.
std::string ratio(std::int64_t a, std::int64_t b) {
  if (b == 0) return {};
  return fmt::format("{}", static_cast<double>(a) / static_cast<double>(b));
}

}  // namespace

std::vector<CsvColumn> maestro_csv_columns(const std::vector<Job>& jobs, const Hardware& hw,
                                           const std::string& network) {
  // The metronome tensor behind MAESTRO's tensor name for the record `index`.
  // Which records are GEMM layers (shared by the columns, not a copy of `jobs` each).
  auto gemm_flags = std::make_shared<std::vector<bool>>();
  for (const Job& job : jobs)
    gemm_flags->push_back(job.layer && job.layer->type == LayerType::Gemm);
  const auto tensor_of = [gemm_flags](std::size_t index, Tensor maestro_name) {
    const bool gemm = index < gemm_flags->size() && (*gemm_flags)[index];
    if (!gemm || maestro_name == Tensor::Output) return maestro_name;
    return maestro_name == Tensor::Input ? Tensor::Weight : Tensor::Input;
  };
  // A figure column: empty unless the record has figures.
  using Figure = std::function<std::string(const Metrics&, std::size_t)>;
  const auto figure = [](Figure f) {
    return [f = std::move(f)](const Metrics& m, std::size_t index) {
      return m.status == RecordStatus::Ok ? f(m, index) : std::string();
    };
  };

  std::vector<CsvColumn> columns;
  columns.push_back(
      {"Neural Network Name", [network](const Metrics&, std::size_t) { return network; }});
  // MAESTRO's header says "Layer Number" but its V2 writer puts the layer's name there.
  columns.push_back({"Layer Number", [](const Metrics& m, std::size_t) { return m.layer; }});
  const std::int64_t pes = hw.pe.count;
  columns.push_back({"NumPEs", [pes](const Metrics&, std::size_t) { return integer(pes); }});
  columns.push_back({"Runtime (Cycles)", figure([](const Metrics& m, std::size_t) {
                       return integer(m.runtime_cycles);
                     })});
  columns.push_back({"Throughput (MACs/Cycle)", figure([](const Metrics& m, std::size_t) {
                       return ratio(m.macs, m.runtime_cycles);
                     })});
  columns.push_back({"L2 SRAM Size Req (Bytes)", figure([](const Metrics& m, std::size_t) {
                       return integer(m.buffer_words_required.l2);
                     })});
  columns.push_back({"L1 SRAM Size Req (Bytes)", figure([](const Metrics& m, std::size_t) {
                       return integer(m.buffer_words_required.l1);
                     })});
  // MAESTRO: L1 writes / L2 reads of its "weight" (filter) and "input" tensors.
  for (const auto& [name, maestro_tensor] :
       {std::pair{"Multicasting Factor (Weight)", Tensor::Weight},
        std::pair{"Multicasting Factor (Input)", Tensor::Input}}) {
    const Tensor mt = maestro_tensor;
    columns.push_back({name, figure([tensor_of, mt](const Metrics& m, std::size_t i) {
                         const Tensor t = tensor_of(i, mt);
                         return ratio(m.traffic.l1.tensor[t].writes, m.traffic.l2.tensor[t].reads);
                       })});
  }
  columns.push_back(
      {"Num MACs", figure([](const Metrics& m, std::size_t) { return integer(m.macs); })});
  // Per tensor, in MAESTRO's order (input, filter, output): l1 read, l1 write, l2 read,
  // l2 write, reuse factor (= l1 read / l1 write).
  for (const auto& [prefix, maestro_tensor] :
       {std::pair{"input", Tensor::Input}, std::pair{"filter", Tensor::Weight},
        std::pair{"output", Tensor::Output}}) {
    const Tensor mt = maestro_tensor;
    const std::string p = prefix;
    columns.push_back({p + " l1 read", figure([tensor_of, mt](const Metrics& m, std::size_t i) {
                         return integer(m.traffic.l1.tensor[tensor_of(i, mt)].reads);
                       })});
    columns.push_back({p + " l1 write", figure([tensor_of, mt](const Metrics& m, std::size_t i) {
                         return integer(m.traffic.l1.tensor[tensor_of(i, mt)].writes);
                       })});
    columns.push_back({p + " l2 read", figure([tensor_of, mt](const Metrics& m, std::size_t i) {
                         return integer(m.traffic.l2.tensor[tensor_of(i, mt)].reads);
                       })});
    columns.push_back({p + " l2 write", figure([tensor_of, mt](const Metrics& m, std::size_t i) {
                         return integer(m.traffic.l2.tensor[tensor_of(i, mt)].writes);
                       })});
    columns.push_back(
        {p + " reuse factor", figure([tensor_of, mt](const Metrics& m, std::size_t i) {
           const ReadWrite& rw = m.traffic.l1.tensor[tensor_of(i, mt)];
           return ratio(rw.reads, rw.writes);
         })});
  }
  return columns;
}

}  // namespace metronome::cli
