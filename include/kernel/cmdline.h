// Kernel command line: "name" and "name=value" words separated by spaces; a value may be quoted.
#pragma once

#include <stddef.h>

namespace kernel {

struct CmdlineParam {
  const char* name;  // points into the command line, not NUL-terminated
  size_t name_len;
  const char* value;  // nullptr for a bare "name"
  size_t value_len;
};

// Iterates parameters: returns false at the end. `pos` starts at 0.
bool cmdline_next(const char* cmdline, size_t* pos, CmdlineParam* out);
// Finds the last occurrence of `name` (later words override earlier ones, as in Linux).
bool cmdline_find(const char* cmdline, const char* name, CmdlineParam* out);
bool param_is(const CmdlineParam& p, const char* name);
bool value_is(const CmdlineParam& p, const char* value);

}  // namespace kernel
