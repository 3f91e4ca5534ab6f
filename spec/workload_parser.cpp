// Parser for MAESTRO's `.m` workload/mapping files and for bare dataflow files.
// A hand-written tokenizer (linear in the input, lines tracked) feeds a small recursive-descent
// parser. The accepted dialect is documented in docs/input-formats.md.

#include "spec/workload_parser.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace metronome {

namespace {

// ------------------------------------------------------------------------------------------
// Tokenizer

enum class TokKind : std::uint8_t { Word, Punct, End };

struct Token {
  TokKind kind = TokKind::End;
  std::string_view text;
  int line = 0;
};

struct Comment {
  std::string_view text;  // after the leading "//"
  int line = 0;
};

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

constexpr bool is_punct(char c) {
  return c == '{' || c == '}' || c == '(' || c == ')' || c == ',' || c == ';' || c == ':';
}

constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string describe(const Token& t) {
  if (t.kind == TokKind::End) return "end of file";
  return quote(t.text);
}

int bump(int line) {
  return line < std::numeric_limits<int>::max() ? line + 1 : line;
}

// Streaming tokenizer: one token of look-ahead, so memory stays proportional to the input
// however many tokens it holds. `//` comments are kept (for `// serves:` lines).
class Lexer {
 public:
  Lexer(std::string_view text, const std::string& file) : text_(text), file_(file) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
    advance();
  }

  const Token& current() const { return cur_; }
  const std::vector<Comment>& comments() const { return comments_; }

  void advance() {
    const std::size_t n = text_.size();
    while (pos_ < n) {
      const char c = text_[pos_];
      if (c == '\n') {
        line_ = bump(line_);
        ++pos_;
      } else if (is_space(c)) {
        ++pos_;
      } else if (c == '\0') {
        binary();
      } else if (c == '/' && pos_ + 1 < n && text_[pos_ + 1] == '/') {
        const std::size_t start = pos_ + 2;
        std::size_t end = text_.find('\n', start);
        if (end == std::string_view::npos) end = n;
        const std::string_view body = text_.substr(start, end - start);
        if (body.find('\0') != std::string_view::npos) binary();
        comments_.push_back(Comment{body, line_});
        pos_ = end;
      } else if (c == '/' && pos_ + 1 < n && text_[pos_ + 1] == '*') {
        const int start_line = line_;
        const std::size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos)
          throw InputError(SourceLocation{file_, start_line}, "unterminated /* comment",
                           "'*/' closing the comment");
        for (std::size_t j = pos_ + 2; j < end; ++j) {
          if (text_[j] == '\n') line_ = bump(line_);
          if (text_[j] == '\0') binary();
        }
        pos_ = end + 2;
      } else if (is_punct(c)) {
        cur_ = Token{TokKind::Punct, text_.substr(pos_, 1), line_};
        ++pos_;
        return;
      } else {
        const std::size_t start = pos_;
        while (pos_ < n) {
          const char d = text_[pos_];
          if (is_space(d) || is_punct(d) || d == '\0') break;
          if (d == '/' && pos_ + 1 < n && (text_[pos_ + 1] == '/' || text_[pos_ + 1] == '*')) break;
          ++pos_;
        }
        cur_ = Token{TokKind::Word, text_.substr(start, pos_ - start), line_};
        if (!is_utf8(cur_.text))
          throw InputError(SourceLocation{file_, line_},
                           fmt::format("{} is not UTF-8 text", quote(cur_.text)),
                           "names and numbers in UTF-8");
        return;
      }
    }
    cur_ = Token{TokKind::End, {}, line_};
  }

 private:
  [[noreturn]] void binary() const {
    throw InputError(SourceLocation{file_, line_}, "binary data", "a text file");
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  Token cur_;
  std::vector<Comment> comments_;
};

// ------------------------------------------------------------------------------------------
// Raw (unconverted) pieces of a layer: dimension names are interpreted once the layer's type is
// known, since `Type:` may in principle follow `Dimensions` or `Dataflow`.

struct RawExtent {
  std::int64_t literal = 0;
  std::string_view sz;  // non-empty for Sz(D)
  int line = 0;
};

struct RawDirective {
  MapKind kind = MapKind::Temporal;
  std::string_view dim;
  RawExtent size;
  RawExtent offset;
  int line = 0;
};

struct RawLevel {
  std::optional<RawExtent> units;
  int line = 0;
  std::vector<RawDirective> directives;
};

struct RawDataflow {
  int line = 0;
  std::vector<RawLevel> levels;
};

struct Entry {
  std::string_view key;
  std::int64_t value = 0;
  int line = 0;
};

struct Block {
  int line = 0;
  std::vector<Entry> entries;
};

struct RawLayer {
  std::string_view name;
  int line = 0;
  std::optional<Token> type;  // the type word
  int type_line = 0;
  std::optional<Block> stride;
  std::optional<Block> dims;
  std::optional<Block> padding;
  std::optional<RawDataflow> dataflow;
};

// How directive and Sz() dimension names are read: convolution names, or GEMM's M, N, K.
enum class Naming : std::uint8_t { Conv, Gemm };

std::optional<Dim> gemm_dim(std::string_view name) {
  if (name == "M") return Dim::K;
  if (name == "K") return Dim::C;
  if (name == "N") return Dim::Y;
  return std::nullopt;
}

std::string file_stem(const std::string& file_name) {
  return std::filesystem::path(file_name).stem().string();
}

constexpr std::array<std::string_view, 3> kSupportedTypes = {"CONV", "DSCONV", "GEMM"};

std::optional<LayerType> supported_type(std::string_view text) {
  if (text == "CONV") return LayerType::Conv;
  if (text == "DSCONV") return LayerType::DsConv;
  if (text == "GEMM") return LayerType::Gemm;
  return std::nullopt;
}

// The other layer types MAESTRO knows: its `LayerType` enum (cost-model/include/
// dataflow-analysis/DFA_layer.hpp: CONV, DSCONV, FC, POOL, TRCONV, NGCONV, LSTM, GEMM), which
// are also the words its parser (DFSL_parser.hpp) accepts after `Type:`. metronome does not
// model them; a layer of one of these types becomes an unsupported-layer record. Any other
// word (a typo such as CONVOLUTION) is an error. MAESTRO's RESIDUAL_IDENTITY token is not here:
// its parser rejects it.
constexpr std::array<std::string_view, 5> kMaestroOnlyTypes = {"TRCONV", "NGCONV", "FC", "POOL",
                                                               "LSTM"};

bool is_maestro_only_type(std::string_view text) {
  return std::find(kMaestroOnlyTypes.begin(), kMaestroOnlyTypes.end(), text) !=
         kMaestroOnlyTypes.end();
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// ------------------------------------------------------------------------------------------
// Parser

class MParser {
 public:
  MParser(std::string_view text, std::string file) : file_(std::move(file)), lexer_(text, file_) {}

  Workload workload();
  Mapping dataflow_file();

 private:
  struct ConstantDef {
    std::int64_t value = 0;
    int line = 0;
  };

  // --- token helpers
  Token peek() const { return lexer_.current(); }
  Token next() {
    Token t = lexer_.current();
    if (t.kind != TokKind::End) lexer_.advance();
    return t;
  }
  static bool word(const Token& t, std::string_view w) {
    return t.kind == TokKind::Word && t.text == w;
  }
  static bool punct(const Token& t, char c) { return t.kind == TokKind::Punct && t.text[0] == c; }
  bool accept(char c) {
    if (punct(peek(), c)) {
      next();
      return true;
    }
    return false;
  }
  void expect(char c, std::string_view context) {
    const Token t = peek();
    if (!punct(t, c))
      fail(t.line, fmt::format("unexpected {} {}", describe(t), context), fmt::format("'{}'", c));
    next();
  }
  Token expect_word(std::string_view context, std::string_view expected) {
    const Token t = peek();
    if (t.kind != TokKind::Word)
      fail(t.line, fmt::format("unexpected {} {}", describe(t), context), std::string(expected));
    return next();
  }

  SourceLocation at(int line) const { return SourceLocation{file_, line}; }
  [[noreturn]] void fail(int line, std::string problem, std::string expected) const {
    throw InputError(at(line), std::move(problem), std::move(expected));
  }
  void warn(int line, const std::string& text) {
    warnings_.emplace_back(line, fmt::format("{}: {}", at(line).str(), text));
  }

  // --- grammar
  void parse_constant();
  std::pair<std::int64_t, int> parse_value(std::string_view context);
  // The line of a `Constant NAME` further on in the input, if any (consumes the input).
  std::optional<int> find_later_constant(std::string_view name);
  RawExtent parse_extent(std::string_view context);
  // `layer` is the layer as shown in messages: quote(name).
  Block parse_block(std::string_view block_name, std::string_view layer);
  RawDataflow parse_directives(int line, bool braced);
  int parse_network(Workload& w);  // returns the line of the Network's closing '}'
  RawLayer parse_layer_body(const Token& name_token, int line);
  Layer build_layer(const RawLayer& raw);
  Mapping build_mapping(const RawDataflow& raw, Naming naming, std::string name) const;
  std::optional<Dim> sz_dim(std::string_view text, Naming naming) const {
    return naming == Naming::Gemm ? gemm_dim(text) : parse_dim(text);
  }
  void parse_serves(Mapping& m) const;

  std::string file_;
  Lexer lexer_;
  std::map<std::string, ConstantDef, std::less<>> constants_;
  std::vector<std::pair<int, std::string>> warnings_;  // (line, "FILE:LINE: text")
};

void MParser::parse_constant() {
  const int line = next().line;  // "Constant"
  const Token name = expect_word("after Constant", "a constant name, as in `Constant NAME 64;`");
  if (is_digit(name.text[0]) || name.text[0] == '-' || name.text[0] == '+')
    fail(name.line, fmt::format("{} is not a constant name", quote(name.text)),
         "a name starting with a letter, as in `Constant NAME 64;`");
  const auto [value, value_line] = parse_value(fmt::format("Constant {}", shorten(name.text)));
  accept(';');
  if (auto it = constants_.find(name.text); it != constants_.end()) {
    if (it->second.value != value)
      fail(value_line,
           fmt::format("Constant {} = {} redefined (it is {} at line {})", shorten(name.text),
                       value, it->second.value, it->second.line),
           "one value per Constant");
    return;
  }
  constants_.emplace(std::string(name.text), ConstantDef{value, line});
}

std::pair<std::int64_t, int> MParser::parse_value(std::string_view context) {
  const Token t = peek();
  if (t.kind != TokKind::Word)
    fail(t.line, fmt::format("missing value for {}: found {}", context, describe(t)),
         "an integer or a Constant name");
  next();
  std::string_view s = t.text;
  const bool numeric =
      is_digit(s[0]) || ((s[0] == '-' || s[0] == '+') && s.size() > 1 && is_digit(s[1]));
  if (numeric) {
    std::string_view digits = s[0] == '+' ? s.substr(1) : s;
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc::result_out_of_range)
      fail(t.line, fmt::format("{}: {} does not fit in a 64-bit integer", context, quote(s)),
           "a smaller integer");
    if (ec != std::errc() || ptr != digits.data() + digits.size())
      fail(t.line, fmt::format("{}: {} is not an integer", context, quote(s)),
           "an integer or a Constant name");
    return {v, t.line};
  }
  if (auto it = constants_.find(s); it != constants_.end()) return {it->second.value, t.line};
  if (const auto later = find_later_constant(s))
    fail(t.line,
         fmt::format("{}: Constant {} is defined later, at line {}", context, shorten(s), *later),
         "a Constant declared before it is used");
  fail(t.line, fmt::format("{}: unknown constant {}", context, quote(s)),
       "an integer or the name of a Constant declared above");
}

std::optional<int> MParser::find_later_constant(std::string_view name) {
  // Only called on the way to an error, so consuming the rest of the input is fine.
  try {
    while (peek().kind != TokKind::End) {
      const Token t = next();
      if (word(t, "Constant") && word(peek(), name)) return t.line;
    }
  } catch (const InputError&) {
    // Malformed text further on (e.g. an unterminated comment): no definition found.
  }
  return std::nullopt;
}

RawExtent MParser::parse_extent(std::string_view context) {
  RawExtent e;
  const Token t = peek();
  e.line = t.line;
  if (word(t, "Sz")) {
    next();
    expect('(', fmt::format("after Sz in {}", context));
    e.sz = expect_word(fmt::format("in Sz() of {}", context), "a dimension, as in Sz(R)").text;
    expect(')', fmt::format("after Sz({} in {}", shorten(e.sz), context));
    return e;
  }
  const auto [v, line] = parse_value(context);
  if (v < 1) fail(line, fmt::format("{} is {}", context, v), "an integer >= 1");
  e.literal = v;
  return e;
}

Block MParser::parse_block(std::string_view block_name, std::string_view layer) {
  Block b;
  b.line = next().line;  // the block keyword
  expect('{', fmt::format("after {} in layer {}", block_name, layer));
  while (true) {
    const Token t = peek();
    if (punct(t, '}')) {
      next();
      break;
    }
    if (t.kind == TokKind::End)
      fail(b.line, fmt::format("{} block of layer {} is not closed", block_name, layer), "'}'");
    if (t.kind != TokKind::Word)
      fail(t.line, fmt::format("unexpected {} in {} of layer {}", describe(t), block_name, layer),
           "NAME: value entries separated by commas, and '}'");
    next();
    accept(':');
    const auto [v, line] =
        parse_value(fmt::format("{} {} of layer {}", block_name, shorten(t.text), layer));
    b.entries.push_back(Entry{t.text, v, line});
    accept(',');
  }
  accept(';');
  return b;
}

RawDataflow MParser::parse_directives(int line, bool braced) {
  RawDataflow df;
  df.line = line;
  df.levels.push_back(RawLevel{std::nullopt, line, {}});
  const std::string_view expected =
      braced ? "TemporalMap, SpatialMap, Cluster or '}'" : "TemporalMap, SpatialMap or Cluster";
  bool any = false;
  while (true) {
    const Token t = peek();
    if (braced && punct(t, '}')) {
      next();
      break;
    }
    if (t.kind == TokKind::End) {
      if (braced) fail(line, "Dataflow block is not closed", "'}'");
      break;
    }
    if (punct(t, ';')) {
      next();
      continue;
    }
    if (!braced && punct(t, '}')) fail(t.line, "unmatched '}'", std::string(expected));
    if (word(t, "TemporalMap") || word(t, "SpatialMap")) {
      any = true;
      RawDirective d;
      d.kind = word(t, "SpatialMap") ? MapKind::Spatial : MapKind::Temporal;
      d.line = t.line;
      const std::string kw(t.text);
      next();
      expect('(', fmt::format("after {}", kw));
      d.size = parse_extent(fmt::format("{} size", kw));
      expect(',', fmt::format("after the size of {}", kw));
      d.offset = parse_extent(fmt::format("{} offset", kw));
      expect(')', fmt::format("after the offset of {}", kw));
      d.dim = expect_word(fmt::format("after {}(...)", kw),
                          "a dimension: N, K, C, R, S, Y, X, Y' or X' (M, N, K for GEMM)")
                  .text;
      accept(';');
      df.levels.back().directives.push_back(d);
    } else if (word(t, "Cluster")) {
      any = true;
      RawLevel level;
      level.line = t.line;
      next();
      expect('(', "after Cluster");
      level.units = parse_extent("Cluster size");
      expect(',', "after the Cluster size");
      const Token type = expect_word("in Cluster", "P, as in Cluster(64, P)");
      if (type.text == "L")
        fail(type.line, "logical clusters Cluster(n, L) are not supported",
             "P, as in Cluster(64, P)");
      if (type.text != "P")
        fail(type.line, fmt::format("cluster type {}", quote(type.text)),
             "P, as in Cluster(64, P)");
      expect(')', "after Cluster(n, P");
      accept(';');
      if (df.levels.size() >= kMaxMappingLevels)
        fail(level.line, fmt::format("more than {} Cluster levels", kMaxMappingLevels - 1),
             fmt::format("at most {} Cluster directives in a dataflow", kMaxMappingLevels - 1));
      df.levels.push_back(std::move(level));
    } else {
      fail(t.line, fmt::format("unknown directive {}", describe(t)), std::string(expected));
    }
  }
  if (!any)
    fail(line, "empty Dataflow", "at least one TemporalMap, SpatialMap or Cluster directive");
  return df;
}

Mapping MParser::build_mapping(const RawDataflow& raw, Naming naming, std::string name) const {
  Mapping m;
  m.name = std::move(name);
  m.where = at(raw.line);
  const char* dims_expected = naming == Naming::Gemm ? "M, N or K (the dimensions of a GEMM layer)"
                                                     : "N, K, C, R, S, Y, X, Y' or X'";
  const auto extent = [&](const RawExtent& e, std::string_view what) {
    Extent x;
    if (e.sz.empty()) {
      x.literal = e.literal;
      return x;
    }
    const auto d = sz_dim(e.sz, naming);
    if (!d)
      fail(e.line, fmt::format("unknown dimension {} in Sz() of {}", quote(e.sz), what),
           naming == Naming::Gemm ? "Sz(M), Sz(N) or Sz(K) in a GEMM layer"
                                  : "Sz(N), Sz(K), Sz(C), Sz(R), Sz(S), Sz(Y) or Sz(X)");
    x.size_of = *d;
    return x;
  };
  for (const RawLevel& rl : raw.levels) {
    MappingLevel level;
    level.where = at(rl.line);
    if (rl.units) level.units = extent(*rl.units, "Cluster");
    for (const RawDirective& rd : rl.directives) {
      const std::string_view kw = rd.kind == MapKind::Spatial ? "SpatialMap" : "TemporalMap";
      Directive d;
      d.kind = rd.kind;
      d.where = at(rd.line);
      std::optional<MapDim> md;
      if (naming == Naming::Gemm) {
        if (auto g = gemm_dim(rd.dim)) md = as_map_dim(*g);
      } else {
        md = parse_map_dim(rd.dim);
      }
      if (!md)
        fail(rd.line, fmt::format("unknown dimension {} in {}", quote(rd.dim), kw), dims_expected);
      d.dim = *md;
      d.size = extent(rd.size, kw);
      d.offset = extent(rd.offset, kw);
      level.directives.push_back(d);
    }
    m.levels.push_back(std::move(level));
  }
  return m;
}

RawLayer MParser::parse_layer_body(const Token& name_token, int line) {
  RawLayer raw;
  raw.name = name_token.text;
  raw.line = line;
  const std::string lname = quote(raw.name);
  expect('{', fmt::format("after Layer {}", shorten(name_token.text)));
  const auto twice = [&](const Token& t, int first_line) {
    fail(t.line,
         fmt::format("second {} in layer {} (the first is at line {})", t.text, lname, first_line),
         fmt::format("one {} per layer", t.text));
  };
  while (true) {
    const Token t = peek();
    if (punct(t, '}')) {
      next();
      break;
    }
    if (punct(t, ';')) {
      next();
      continue;
    }
    if (t.kind == TokKind::End) fail(line, fmt::format("layer {} is not closed", lname), "'}'");
    if (word(t, "Type")) {
      if (raw.type) twice(t, raw.type_line);
      raw.type_line = t.line;
      next();
      accept(':');
      raw.type = expect_word("after Type:", "a layer type: CONV, DSCONV or GEMM");
      for (std::string_view statement : {"Type", "Stride", "Padding", "Dimensions", "Dataflow"})
        if (raw.type->text == statement)  // `Type:` left without its value
          fail(raw.type_line, "Type: no value before " + std::string(statement),
               "a layer type: CONV, DSCONV or GEMM");
      accept(';');
    } else if (word(t, "Stride")) {
      if (raw.stride) twice(t, raw.stride->line);
      raw.stride = parse_block("Stride", lname);
    } else if (word(t, "Dimensions")) {
      if (raw.dims) twice(t, raw.dims->line);
      raw.dims = parse_block("Dimensions", lname);
    } else if (word(t, "Padding")) {
      if (raw.padding) twice(t, raw.padding->line);
      raw.padding = parse_block("Padding", lname);
    } else if (word(t, "Dataflow")) {
      if (raw.dataflow) twice(t, raw.dataflow->line);
      const int df_line = next().line;
      expect('{', "after Dataflow");
      raw.dataflow = parse_directives(df_line, true);
    } else {
      fail(t.line, fmt::format("unknown statement {} in layer {}", describe(t), lname),
           "Type, Stride, Dimensions, Padding, Dataflow or '}'");
    }
  }
  return raw;
}

Layer MParser::build_layer(const RawLayer& raw) {
  Layer layer;
  layer.name = std::string(raw.name);
  const std::string lname = quote(raw.name);
  layer.where = at(raw.line);
  if (!raw.type)
    fail(raw.line, fmt::format("layer {} has no Type", lname), "Type: CONV, DSCONV or GEMM");
  layer.type_text = std::string(raw.type->text);
  const std::string_view type_word = raw.type->text;
  if (auto t = supported_type(type_word)) {
    layer.type = *t;
  } else if (is_maestro_only_type(type_word)) {
    layer.type = LayerType::Unsupported;
    warn(raw.type->line, fmt::format("layer {} has type {}, which metronome does not model; "
                                     "it is kept as an unsupported layer",
                                     lname, type_word));
  } else {
    const std::string problem = fmt::format("unknown layer type {}", quote(type_word));
    for (std::string_view known : kSupportedTypes)
      if (iequals(known, type_word))
        fail(raw.type->line, problem, fmt::format("{} (types are upper case)", known));
    for (std::string_view known : kMaestroOnlyTypes)
      if (iequals(known, type_word))
        fail(raw.type->line, problem,
             fmt::format("{} (types are upper case; metronome keeps {} layers as unsupported "
                         "records)",
                         known, known));
    fail(raw.type->line, problem,
         fmt::format("CONV, DSCONV or GEMM; MAESTRO's {} are accepted and kept as unsupported "
                     "layers",
                     fmt::join(kMaestroOnlyTypes, ", ")));
  }
  const bool gemm = layer.type == LayerType::Gemm;
  const bool unsupported = layer.type == LayerType::Unsupported;

  // Dimensions.
  if (!raw.dims)
    fail(raw.line, fmt::format("layer {} has no Dimensions", lname),
         gemm ? "Dimensions { M: .., N: .., K: .. }"
              : "Dimensions { K: .., C: .., R: .., S: .., Y: .., X: .. }");
  struct Given {
    std::int64_t value = 0;
    int line = 0;
    std::string_view key;
  };
  std::array<std::optional<Given>, kNumDims> given{};
  for (const Entry& e : raw.dims->entries) {
    std::optional<Dim> d = gemm ? gemm_dim(e.key) : parse_dim(e.key);
    if (!d) {
      if (unsupported) {
        warn(e.line, fmt::format("layer {} ({}): dimension {} ignored", lname, layer.type_text,
                                 quote(e.key)));
        continue;
      }
      fail(e.line,
           fmt::format("unknown dimension {} in Dimensions of layer {}", quote(e.key), lname),
           gemm ? "M, N or K for a GEMM layer" : "N, K, C, R, S, Y or X");
    }
    if (e.value < 1)
      fail(e.line, fmt::format("dimension {} of layer {} is {}", e.key, lname, e.value),
           "an integer >= 1");
    auto& slot = given[static_cast<std::size_t>(*d)];
    if (slot) {
      if (slot->value != e.value)
        fail(e.line,
             fmt::format("dimension {} of layer {} given twice with different values: {} at "
                         "line {}, {} at line {}",
                         e.key, lname, slot->value, slot->line, e.value, e.line),
             "each dimension once");
      warn(e.line, fmt::format("dimension {} of layer {} given twice (same value {}; first at "
                               "line {})",
                               e.key, lname, e.value, slot->line));
      continue;
    }
    slot = Given{e.value, e.line, e.key};
  }
  for (Dim d : kAllDims) layer.size[d] = 1;
  if (gemm) {
    std::vector<std::string_view> missing;
    for (auto [name, d] :
         {std::pair{"M", Dim::K}, std::pair{"N", Dim::Y}, std::pair{"K", Dim::C}}) {
      const auto& g = given[static_cast<std::size_t>(d)];
      if (!g)
        missing.push_back(name);
      else
        layer.size[d] = g->value;
    }
    if (!missing.empty())
      fail(raw.dims->line,
           fmt::format("GEMM layer {} is missing dimension{} {}", lname,
                       missing.size() > 1 ? "s" : "", fmt::join(missing, ", ")),
           "M, N and K");
  } else {
    std::vector<std::string_view> missing;
    for (Dim d : kAllDims) {
      const auto& g = given[static_cast<std::size_t>(d)];
      if (g)
        layer.size[d] = g->value;
      else if (d != Dim::N && !unsupported)
        missing.push_back(dim_name(d));
    }
    if (!missing.empty())
      fail(raw.dims->line,
           fmt::format("layer {} is missing dimension{} {}", lname, missing.size() > 1 ? "s" : "",
                       fmt::join(missing, ", ")),
           "K, C, R, S, Y and X (N is optional, default 1)");
  }

  // Stride and padding (X and Y).
  const auto xy_block = [&](const Block& b, std::string_view what, std::int64_t min,
                            std::int64_t& y, std::int64_t& x) {
    std::optional<Given> gy, gx;
    for (const Entry& e : b.entries) {
      std::optional<Given>* slot = e.key == "Y" ? &gy : e.key == "X" ? &gx : nullptr;
      if (!slot)
        fail(e.line, fmt::format("unknown key {} in {} of layer {}", quote(e.key), what, lname),
             "X or Y");
      if (e.value < min)
        fail(e.line, fmt::format("{} {} of layer {} is {}", what, e.key, lname, e.value),
             fmt::format("an integer >= {}", min));
      if (*slot && (*slot)->value != e.value)
        fail(e.line,
             fmt::format("{} {} of layer {} given twice with different values ({} at line {})",
                         what, e.key, lname, (*slot)->value, (*slot)->line),
             "each of X, Y once");
      *slot = Given{e.value, e.line, e.key};
    }
    if (gy) y = gy->value;
    if (gx) x = gx->value;
  };
  if (raw.stride) xy_block(*raw.stride, "Stride", 1, layer.stride_y, layer.stride_x);
  if (raw.padding) {
    xy_block(*raw.padding, "Padding", 0, layer.pad_y, layer.pad_x);
    const SourceLocation where = at(raw.padding->line);
    layer.size[Dim::Y] =
        checked_add(layer.size[Dim::Y], checked_mul(2, layer.pad_y, where, "padding"), where,
                    "padded input rows");
    layer.size[Dim::X] =
        checked_add(layer.size[Dim::X], checked_mul(2, layer.pad_x, where, "padding"), where,
                    "padded input cols");
  }
  if (gemm && (layer.stride_x != 1 || layer.stride_y != 1))
    fail(raw.stride->line, fmt::format("GEMM layer {} has a stride", lname),
         "no Stride in a GEMM layer (or stride 1)");
  if (gemm && (layer.pad_x != 0 || layer.pad_y != 0))
    fail(raw.padding->line, fmt::format("GEMM layer {} has padding", lname),
         "no Padding in a GEMM layer");

  if (raw.dataflow)
    layer.dataflow = build_mapping(*raw.dataflow, gemm ? Naming::Gemm : Naming::Conv, layer.name);
  layer.validate();
  return layer;
}

int MParser::parse_network(Workload& w) {
  const Token kw = next();  // "Network"
  const int line = kw.line;
  const Token name = expect_word("after Network", "a network name, as in `Network vgg16 {`");
  w.network = std::string(name.text);
  const std::string nname = shorten(name.text);
  expect('{', fmt::format("after Network {}", nname));
  std::map<std::string, int, std::less<>> seen;  // layer name -> line
  struct Repeat {
    int first_line = 0;
    std::vector<int> lines;          // of the later layers with the same name
    std::vector<std::string> names;  // what they were renamed to
    int next_suffix = 2;             // NAME#k is taken for every k below it
  };
  std::map<std::string, Repeat, std::less<>> repeats;
  std::vector<std::string> repeat_order;
  int close_line = 0;
  while (true) {
    const Token t = peek();
    if (punct(t, '}')) {
      close_line = next().line;
      break;
    }
    if (punct(t, ';')) {
      next();
      continue;
    }
    if (t.kind == TokKind::End)
      fail(line, fmt::format("Network {} is not closed", nname), "'}' at the end of the network");
    if (word(t, "Constant")) {
      parse_constant();
    } else if (word(t, "Layer")) {
      const int layer_line = next().line;
      const Token layer_name = expect_word("after Layer", "a layer name, as in `Layer CONV1 {`");
      RawLayer raw = parse_layer_body(layer_name, layer_line);
      Layer layer = build_layer(raw);
      if (auto it = seen.find(layer.name); it != seen.end()) {
        // MAESTRO's own files repeat names (MobileNetV2, ResNet50, Transformer); they must
        // load, so later layers are renamed NAME#2, NAME#3, ... and one warning per repeated
        // name is recorded.
        auto [dup, fresh] = repeats.try_emplace(layer.name, Repeat{it->second, {}, {}, 2});
        if (fresh) repeat_order.push_back(layer.name);
        // The smallest free suffix; those below next_suffix are all taken (names only come).
        std::string renamed;
        for (int& k = dup->second.next_suffix;; ++k) {
          renamed = fmt::format("{}#{}", layer.name, k);
          if (!seen.contains(renamed)) break;
        }
        ++dup->second.next_suffix;
        dup->second.lines.push_back(layer_line);
        dup->second.names.push_back(renamed);
        layer.name = renamed;
        if (layer.dataflow) layer.dataflow->name = renamed;
      }
      seen.emplace(layer.name, layer_line);
      w.layers.push_back(std::move(layer));
    } else {
      fail(t.line, fmt::format("unknown statement {} in Network {}", describe(t), nname),
           "Layer, Constant or '}'");
    }
  }
  if (w.layers.empty())
    fail(line, fmt::format("Network {} has no layers", nname), "at least one Layer");
  for (const std::string& n : repeat_order) {
    const Repeat& r = repeats.at(n);
    constexpr std::size_t kShown = 5;
    const std::vector<int> shown(
        r.lines.begin(),
        r.lines.begin() + static_cast<std::ptrdiff_t>(std::min(kShown, r.lines.size())));
    const std::string lines =
        fmt::format("{}{}", fmt::join(shown, ", "), r.lines.size() > kShown ? ", ..." : "");
    const std::string renamed =
        r.names.size() == 1
            ? quote(r.names.front())
            : fmt::format("{} to {}", quote(r.names.front()), quote(r.names.back()));
    warn(r.lines.front(),
         fmt::format("layer name {} (line {}) is used again {} time{} (line{} {}); renamed {} "
                     "(layer names should be unique in a network)",
                     quote(n), r.first_line, r.lines.size(), r.lines.size() > 1 ? "s" : "",
                     r.lines.size() > 1 ? "s" : "", lines, renamed));
  }
  return close_line;
}

Workload MParser::workload() {
  Workload w;
  w.file = file_;
  int network_line = 0;
  int network_close_line = 0;
  while (true) {
    const Token t = peek();
    if (t.kind == TokKind::End) break;
    if (punct(t, ';')) {
      next();
      continue;
    }
    if (word(t, "Constant")) {
      parse_constant();
    } else if (word(t, "Network")) {
      if (network_line > 0)
        fail(t.line,
             fmt::format("a second Network (the first, {}, is at line {})", shorten(w.network),
                         network_line),
             "one Network per file");
      network_line = t.line;
      network_close_line = parse_network(w);
    } else if (punct(t, '}')) {
      fail(t.line,
           network_line > 0 ? fmt::format("unmatched '}}': Network {} already ended at line {}",
                                          shorten(w.network), network_close_line)
                            : std::string("unmatched '}'"),
           "Constant or Network");
    } else if (word(t, "Layer")) {
      fail(t.line, "Layer outside a Network", "Network NAME { Layer ... }");
    } else if (word(t, "Dataflow") || word(t, "TemporalMap") || word(t, "SpatialMap")) {
      fail(t.line, fmt::format("{} outside a Layer", describe(t)),
           "a workload file (Constant, Network); a file with only a dataflow is loaded as a "
           "dataflow");
    } else {
      fail(t.line, fmt::format("unknown statement {}", describe(t)), "Constant or Network");
    }
  }
  if (network_line == 0) fail(0, "no Network in the file", "a Network with at least one Layer");
  std::stable_sort(warnings_.begin(), warnings_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [l, text] : warnings_) w.warnings.push_back(std::move(text));
  return w;
}

void MParser::parse_serves(Mapping& m) const {
  int first_line = 0;
  for (const Comment& c : lexer_.comments()) {
    std::string_view s = c.text;
    while (!s.empty() && (s.front() == '/' || is_space(s.front()))) s.remove_prefix(1);
    if (!s.starts_with("serves")) continue;
    s.remove_prefix(6);
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    if (s.empty() || s.front() != ':') continue;
    s.remove_prefix(1);
    if (first_line > 0)
      fail(c.line, fmt::format("a second `serves:` comment (the first is at line {})", first_line),
           "one `// serves: TYPES` line per dataflow");
    first_line = c.line;
    std::string_view types = s;
    std::string_view note;
    if (const auto dash = s.find("--"); dash != std::string_view::npos) {
      types = s.substr(0, dash);
      note = s.substr(dash + 2);
    }
    while (!note.empty() && is_space(note.front())) note.remove_prefix(1);
    while (!note.empty() && is_space(note.back())) note.remove_suffix(1);
    m.serves_note = std::string(note);
    std::size_t i = 0;
    while (i < types.size()) {
      while (i < types.size() && (is_space(types[i]) || types[i] == ',')) ++i;
      const std::size_t start = i;
      while (i < types.size() && !is_space(types[i]) && types[i] != ',') ++i;
      if (start == i) break;
      const std::string_view t = types.substr(start, i - start);
      const auto lt = supported_type(t);
      if (!lt)
        fail(c.line, fmt::format("unknown layer type {} in the `serves:` comment", quote(t)),
             "CONV, DSCONV or GEMM separated by spaces or commas");
      if (std::find(m.serves.begin(), m.serves.end(), *lt) == m.serves.end())
        m.serves.push_back(*lt);
    }
    if (m.serves.empty())
      fail(c.line, "`serves:` comment lists no layer types",
           "e.g. `// serves: CONV DSCONV -- why`");
  }
}

Mapping MParser::dataflow_file() {
  while (word(peek(), "Constant")) parse_constant();
  const Token t = peek();
  if (t.kind == TokKind::End)
    fail(t.line, "no dataflow in the file",
         "`Dataflow { ... }` or TemporalMap/SpatialMap/Cluster directives");
  RawDataflow raw;
  if (word(t, "Dataflow")) {
    const int line = next().line;
    expect('{', "after Dataflow");
    raw = parse_directives(line, true);
    const Token after = peek();
    if (punct(after, '}'))
      fail(after.line, "unmatched '}' after the Dataflow block", "end of file");
    if (after.kind != TokKind::End)
      fail(after.line, fmt::format("unexpected {} after the Dataflow block", describe(after)),
           "end of file");
  } else if (word(t, "Network") || word(t, "Layer")) {
    fail(t.line, fmt::format("{} in a dataflow file", describe(t)),
         "`Dataflow { ... }` or directives alone; networks are loaded as workloads");
  } else {
    raw = parse_directives(t.line, false);
  }
  Mapping m = build_mapping(raw, Naming::Conv, file_stem(file_));
  parse_serves(m);
  return m;
}

}  // namespace

// ------------------------------------------------------------------------------------------

Workload parse_workload(const std::string& text, const std::string& file_name) {
  return MParser(text, file_name).workload();
}

Workload load_workload(const std::string& path) {
  return parse_workload(read_text_file(path), path);
}

Mapping parse_dataflow(const std::string& text, const std::string& file_name) {
  return MParser(text, file_name).dataflow_file();
}

Mapping load_dataflow(const std::string& path) {
  return parse_dataflow(read_text_file(path), path);
}

std::string read_text_file(const std::string& path) {
  namespace fs = std::filesystem;
  const SourceLocation where{path, 0};
  if (path.empty()) throw InputError(where, "empty file name", "a path to a text file");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found)
    throw InputError(where, "no such file", "an existing file");
  if (ec)
    throw InputError(where, fmt::format("cannot access the file: {}", ec.message()),
                     "a readable file");
  if (st.type() == fs::file_type::directory)
    throw InputError(where, "is a directory", "a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw InputError(where,
                     fmt::format("cannot open the file: {}",
                                 err != 0 ? std::generic_category().message(err) : "unknown error"),
                     "a readable file");
  }
  constexpr std::size_t kMaxBytes = std::size_t{1} << 30;  // 1 GiB
  constexpr std::size_t kChunk = std::size_t{1} << 16;
  std::string text;
  std::array<char, kChunk> buf{};
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    if (const void* nul = std::memchr(buf.data(), '\0', got)) {
      const auto offset = static_cast<std::size_t>(static_cast<const char*>(nul) - buf.data());
      const auto lines = std::count(text.begin(), text.end(), '\n') +
                         std::count(buf.data(), buf.data() + offset, '\n');
      throw InputError(SourceLocation{path, static_cast<int>(std::min<std::int64_t>(
                                                lines + 1, std::numeric_limits<int>::max()))},
                       "binary data", "a text file");
    }
    if (text.size() + got > kMaxBytes)
      throw InputError(where, "the file is larger than 1 GiB", "a text file of reasonable size");
    text.append(buf.data(), got);
  }
  if (in.bad()) throw InputError(where, "read error", "a readable file");
  return text;
}

}  // namespace metronome
