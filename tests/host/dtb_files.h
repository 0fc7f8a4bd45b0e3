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

// A parameterised test's name from its DTB: "broadcom/bcm2711-rpi-4-b.dtb" -> "bcm2711_rpi_4_b".
// Use as INSTANTIATE_TEST_SUITE_P's name generator for any parameter with a `dtb` member.
inline std::string dtb_test_name(const std::string& dtb) {
  std::string n = dtb.substr(dtb.find('/') + 1);
  n = n.substr(0, n.find('.'));
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}
struct DtbParamName {
  template <typename Info>
  std::string operator()(const Info& info) const {
    return dtb_test_name(info.param.dtb);
  }
};

}  // namespace kernel::test

#define LOAD_DTB_OR_FAIL(var, name)                       \
  std::vector<char> var = ::kernel::test::load_dtb(name); \
  ASSERT_FALSE(var.empty()) << "missing " << ::kernel::test::dtb_path(name) << ": run tools/install-deps"
