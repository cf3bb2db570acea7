// courier: one binary, driven by one YAML file (see README.md and docs/).
#include <string>
#include <vector>

#include "app/cli.h"

int main(int argc, char** argv) {
  return courier::app::run_cli(std::vector<std::string>(argv, argv + argc));
}
