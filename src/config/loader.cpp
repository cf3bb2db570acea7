// load_config_file / load_config_string: YAML text to a validated CourierConfig.
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

// The one document of the text; a null node for an empty text. Errors go to `errors`.
std::optional<YAML::Node> parse_single_document(std::string_view yaml, ConfigErrors& errors) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    errors.add("", position_of(e.mark), "YAML syntax error: " + e.msg);
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    errors.add("", position_of(e.mark), "cannot read the YAML: " + e.msg);
    return std::nullopt;
  }
  if (documents.size() > 1) {
    errors.add("", position_of(documents[1].Mark()),
               "found " + std::to_string(documents.size()) +
                   " YAML documents; Courier reads one, remove the '---' separators");
    return std::nullopt;
  }
  return documents.empty() ? YAML::Node() : documents.front();
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
