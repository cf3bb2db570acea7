#include "config/env_substitution.h"

#include <cstdlib>
#include <utility>

namespace courier::config {
namespace {

constexpr std::string_view kFallbackSeparator = ":-";

struct VariableReference {
  std::string_view name;
  std::optional<std::string_view> fallback;
};

VariableReference split_reference(std::string_view body) {
  std::size_t separator = body.find(kFallbackSeparator);
  if (separator == std::string_view::npos) return {body, std::nullopt};
  return {body.substr(0, separator), body.substr(separator + kFallbackSeparator.size())};
}

bool is_valid_variable_name(std::string_view name) {
  if (name.empty()) return false;
  auto is_letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!is_letter(name.front())) return false;
  for (char c : name) {
    if (!is_letter(c) && !is_digit(c)) return false;
  }
  return true;
}

// Replaces the body of one `${...}`; appends to `out` or returns the error.
std::string expand_reference(std::string_view body, const EnvLookup& env, std::string& out) {
  VariableReference reference = split_reference(body);
  if (!is_valid_variable_name(reference.name)) {
    return "invalid environment variable reference '${" + std::string(reference.name) +
           "...}'; a name starts with a letter or '_' and has only letters, digits and '_'";
  }
  std::string name(reference.name);
  std::optional<std::string> value = env(name);
  bool use_fallback = !value || value->empty();
  if (use_fallback && reference.fallback) {
    out += *reference.fallback;
  } else if (value) {
    out += *value;
  } else {
    return "environment variable '" + name + "' is not set; set it, or give a default with '${" +
           name + ":-default}'";
  }
  return {};
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvLookup environment_from_map(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

bool contains_env_reference(std::string_view text) {
  return text.find("${") != std::string_view::npos || text.find("$$") != std::string_view::npos;
}

SubstitutionResult substitute_env(std::string_view text, const EnvLookup& env) {
  SubstitutionResult result;
  std::size_t i = 0;
  while (i < text.size()) {
    bool starts_escape = text.substr(i, 2) == "$$";
    bool starts_reference = text.substr(i, 2) == "${";
    if (starts_escape) {
      result.value += '$';
      i += 2;
    } else if (starts_reference) {
      std::size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        result.error = "'${' without a closing '}'; write '$$' for a literal '$'";
        return result;
      }
      result.error = expand_reference(text.substr(i + 2, close - i - 2), env, result.value);
      if (!result.ok()) return result;
      i = close + 1;
    } else {
      result.value += text[i];
      ++i;
    }
  }
  return result;
}

}  // namespace courier::config
