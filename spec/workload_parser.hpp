#pragma once
// Parser for MAESTRO's `.m` workload/mapping files:
//   Constant NAME value;
//   Network NAME { Layer NAME { Type: ...; Stride {X: s, Y: s}; Dimensions {...};
//                               Padding {Y: p, X: p}; Dataflow { directives } } }
// and for bare dataflow files (`Dataflow { ... }` alone, or directives alone).

#include <string>

#include "spec/layer.hpp"
#include "spec/mapping.hpp"

namespace metronome {

// Throws InputError with file and line for anything malformed.
Workload parse_workload(const std::string& text, const std::string& file_name);
Workload load_workload(const std::string& path);

// A dataflow file: `Dataflow { ... }` or a plain directive list (comments allowed). Its name
// is the file's stem.
Mapping parse_dataflow(const std::string& text, const std::string& file_name);
Mapping load_dataflow(const std::string& path);

// Reads a whole file; throws InputError for a missing file, a directory or unreadable input.
std::string read_text_file(const std::string& path);

}  // namespace metronome
