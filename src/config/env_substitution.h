// ${VAR} substitution: keeps passwords and per-host settings out of the YAML file.
//
// Inside a scalar value, `${NAME}` is replaced by the environment variable NAME (an
// error when NAME is unset), `${NAME:-fallback}` by NAME or, when NAME is unset or
// empty, by the fallback text; `$$` is a literal `$`. Any other `$` is kept as written.
//
//   EnvLookup env = environment_from_map({{"PGPASSWORD", "s3cret"}});
//   SubstitutionResult r = substitute_env("${PGPASSWORD}", env);
//   if (r.ok()) use(r.value); else report(r.error);
//
// Thread-safety: substitute_env is reentrant; process_environment() reads the process
// environment, so nothing may call setenv() while it runs.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace courier::config {

// Looks one variable up; nullopt when it is not set. Injected so tests are deterministic.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real environment of this process (getenv).
EnvLookup process_environment();

// A fixed set of variables, for tests and tools.
EnvLookup environment_from_map(std::map<std::string, std::string> variables);

struct SubstitutionResult {
  std::string value;  // the text with every reference replaced (partial on error)
  std::string error;  // empty on success; never contains a variable's value
  bool ok() const { return error.empty(); }
};

SubstitutionResult substitute_env(std::string_view text, const EnvLookup& env);

// True when `text` holds anything substitute_env would change (`${` or `$$`).
bool contains_env_reference(std::string_view text);

}  // namespace courier::config
