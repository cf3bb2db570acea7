// load_config_file / load_config_string: YAML text to a validated CourierConfig.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "config/courier_config.h"
#include "config/reader.h"
#include "config/section_readers.h"

namespace courier::config {
namespace {

// Where each document of a YAML stream starts; the parser's events are otherwise ignored.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The start of each document of `yaml`. yaml-cpp 0.7 does not move past a stray ',' at the
// top level: it hands out empty documents at that same place forever (so YAML::LoadAll
// never returns, jbeder/yaml-cpp#1040). A document that starts where the previous one did
// is that case: a syntax error goes to `errors`, and nullopt is returned. Throws
// YAML::Exception as YAML::Load does.
std::optional<std::vector<YAML::Mark>> document_starts(std::string_view yaml,
                                                       ConfigErrors& errors) {
  std::istringstream stream{std::string(yaml)};
  YAML::Parser parser(stream);
  DocumentStarts starts;
  while (parser.HandleNextDocument(starts)) {
    const auto& marks = starts.marks;
    if (marks.size() >= 2 && marks[marks.size() - 1].pos == marks[marks.size() - 2].pos) {
      size_t at = static_cast<size_t>(marks.back().pos);
      std::string found = at < yaml.size() ? "'" + std::string(1, yaml[at]) + "'" : "text";
      errors.add("", position_of(marks.back()), "YAML syntax error: unexpected " + found);
      return std::nullopt;
    }
  }
  return std::move(starts.marks);
}

// The one document of the text; a null node for an empty text. Errors go to `errors`.
std::optional<YAML::Node> parse_single_document(std::string_view yaml, ConfigErrors& errors) {
  try {
    std::optional<std::vector<YAML::Mark>> starts = document_starts(yaml, errors);
    if (!starts) return std::nullopt;
    if (starts->size() > 1) {
      errors.add("", position_of((*starts)[1]),
                 "found " + std::to_string(starts->size()) +
                     " YAML documents; Courier reads one, remove the '---' separators");
      return std::nullopt;
    }
    return YAML::Load(std::string(yaml));
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own message for it is "bad file"
    errors.add("", position_of(e.mark),
               "YAML nested too deeply: lists and mappings " + std::to_string(e.depth()) +
                   " levels deep; the parser stops there");
    return std::nullopt;
  } catch (const YAML::ParserException& e) {
    errors.add("", position_of(e.mark), "YAML syntax error: " + e.msg);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    errors.add("", position_of(e.mark), "cannot read the YAML: " + e.msg);
    return std::nullopt;
  }
}

// The file's text, or the reason it cannot be read.
std::optional<std::string> read_text_file(const std::string& path, std::string& failure) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    failure = "cannot read the configuration: it is a directory, not a file";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    failure = "cannot open the configuration file: " + std::string(std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    failure = "cannot read the configuration file: " + std::string(std::strerror(errno));
    return std::nullopt;
  }
  return text.str();
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, std::string source_name,
                              const EnvLookup& env) {
  LoadResult result;
  result.source_name = std::move(source_name);
  ConfigErrors errors;
  if (std::optional<YAML::Node> document = parse_single_document(yaml, errors)) {
    ReadContext context(errors, &env);
    ValueReader root(*document, "", Position{1, 1}, context);
    try {
      read_courier_config(root, result.source_name, result.config);
    } catch (const YAML::Exception& e) {  // a reader bug, not a user mistake: still report it
      errors.add("", position_of(e.mark), "internal error while reading: " + e.msg);
    }
  }
  result.errors = errors.sorted();
  return result;
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env) {
  std::string failure;
  std::optional<std::string> text = read_text_file(path, failure);
  if (text) return load_config_string(*text, path, env);
  LoadResult result;
  result.source_name = path;
  result.errors.push_back(ConfigError{"", 0, 0, failure});
  return result;
}

}  // namespace courier::config
