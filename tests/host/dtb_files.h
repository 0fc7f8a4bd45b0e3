#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace kernel::test {

inline std::string dtb_path(const std::string& name) { return std::string(FIXMAP_DTB_DIR) + "/" + name; }

// Reads a real DTB (tools/install-deps fetched them); fails the test with a hint when missing.
inline std::vector<char> load_dtb(const std::string& name) {
  std::ifstream f(dtb_path(name), std::ios::binary);
  std::vector<char> v((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return v;
}

}  // namespace kernel::test

#define LOAD_DTB_OR_FAIL(var, name)                       \
  std::vector<char> var = ::kernel::test::load_dtb(name); \
  ASSERT_FALSE(var.empty()) << "missing " << ::kernel::test::dtb_path(name) << ": run tools/install-deps"
