// The ```yaml blocks (or the blocks of another language, e.g. ```sql) of a Markdown page of
// the checkout, so tests can hold the docs' examples to what the loader accepts and what
// the servers do (docs/configuration.md, docs/CONFIG_GUIDE.md).
//
//   for (const YamlBlock& block : yaml_blocks(read_checkout_file("docs/CONFIG_GUIDE.md"))) {
//     EXPECT_TRUE(load(block.text).ok()) << "block at line " << block.line;
//   }
//
// Needs COURIER_SOURCE_DIR (set for every test target in tests/CMakeLists.txt).
// Thread-safety: plain functions.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace courier::testing {

struct YamlBlock {
  int line = 0;      // the line of the block's first YAML line in the page, 1-based
  std::string text;  // the YAML, without the fences
};

// The whole file at `relative_path` under the checkout; empty when it cannot be read.
inline std::string read_checkout_file(const std::string& relative_path) {
  std::ifstream in(std::filesystem::path(COURIER_SOURCE_DIR) / relative_path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every block opened by a "```<language>" line, in page order.
inline std::vector<YamlBlock> fenced_blocks(const std::string& markdown,
                                            const std::string& language) {
  const std::string open = "```" + language + "\n";
  std::vector<YamlBlock> blocks;
  for (std::size_t start = markdown.find(open); start != std::string::npos;
       start = markdown.find(open, start)) {
    start += open.size();
    std::size_t end = markdown.find("```", start);
    int line = 1 + static_cast<int>(std::count(markdown.begin(), markdown.begin() + start, '\n'));
    blocks.push_back({line, markdown.substr(start, end - start)});
  }
  return blocks;
}

// Every block opened by a "```yaml" line, in page order.
inline std::vector<YamlBlock> yaml_blocks(const std::string& markdown) {
  return fenced_blocks(markdown, "yaml");
}

}  // namespace courier::testing
