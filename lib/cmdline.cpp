#include "kernel/cmdline.h"

#include "kernel/string.h"

namespace kernel {

bool cmdline_next(const char* s, size_t* pos, CmdlineParam* out) {
  size_t i = *pos;
  while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') ++i;
  if (!s[i]) {
    *pos = i;
    return false;
  }
  size_t start = i;
  while (s[i] && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
  out->name = s + start;
  out->name_len = i - start;
  out->value = nullptr;
  out->value_len = 0;
  if (s[i] == '=') {
    ++i;
    if (s[i] == '"') {
      size_t v = ++i;
      while (s[i] && s[i] != '"') ++i;
      out->value = s + v;
      out->value_len = i - v;
      if (s[i] == '"') ++i;
    } else {
      size_t v = i;
      while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
      out->value = s + v;
      out->value_len = i - v;
    }
  }
  *pos = i;
  return true;
}

bool param_is(const CmdlineParam& p, const char* name) {
  size_t n = strlen(name);
  return p.name_len == n && memcmp(p.name, name, n) == 0;
}

bool value_is(const CmdlineParam& p, const char* value) {
  size_t n = strlen(value);
  return p.value && p.value_len == n && memcmp(p.value, value, n) == 0;
}

bool cmdline_find(const char* cmdline, const char* name, CmdlineParam* out) {
  size_t pos = 0;
  CmdlineParam p;
  bool found = false;
  while (cmdline_next(cmdline, &pos, &p)) {
    if (param_is(p, name)) {
      *out = p;
      found = true;
    }
  }
  return found;
}

}  // namespace kernel
