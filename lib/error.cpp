#include "kernel/error.h"

#include "kernel/printk.h"

namespace kernel {

const char* errc_name(Errc c) {
  switch (c) {
    case Errc::Ok: return "Ok";
    case Errc::Invalid: return "Invalid";
    case Errc::NotFound: return "NotFound";
    case Errc::NotInitialised: return "NotInitialised";
    case Errc::BadIndex: return "BadIndex";
    case Errc::SlotLive: return "SlotLive";
    case Errc::NotMapped: return "NotMapped";
    case Errc::TableMissing: return "TableMissing";
    case Errc::OutOfMemory: return "OutOfMemory";
    case Errc::Unaligned: return "Unaligned";
    case Errc::Conflict: return "Conflict";
    case Errc::Unreachable: return "Unreachable";
    case Errc::NotText: return "NotText";
    case Errc::MapFailed: return "MapFailed";
    case Errc::NoFreeSlot: return "NoFreeSlot";
    case Errc::ZeroSize: return "ZeroSize";
    case Errc::WrapAround: return "WrapAround";
    case Errc::TooLarge: return "TooLarge";
    case Errc::AfterReset: return "AfterReset";
    case Errc::AlreadyUnmapped: return "AlreadyUnmapped";
    case Errc::SizeMismatch: return "SizeMismatch";
    case Errc::IsRam: return "IsRam";
    case Errc::OutOfRange: return "OutOfRange";
    case Errc::Reserved: return "Reserved";
    case Errc::DoubleFree: return "DoubleFree";
    case Errc::NeverAllocated: return "NeverAllocated";
    case Errc::WrongOrder: return "WrongOrder";
  }
  return "?";
}

namespace {
const char g_detail_tag = 0;
}

const char* Error::detail() { return &g_detail_tag; }

int Error::format(char* buf, size_t len) const {
  if (ok()) return snprintf(buf, len, "%s", "");
  if (!fmt_) return snprintf(buf, len, "%s", errc_name(code_));
  uint64_t a[kMaxArgs] = {};
  char detail_text[160] = "";
  if (detail_fn_) detail_fn_(detail_ctx_, detail_arg_, detail_text, sizeof detail_text);
  for (unsigned i = 0; i < nargs_; ++i)
    a[i] = args_[i] == reinterpret_cast<uintptr_t>(&g_detail_tag) ? reinterpret_cast<uintptr_t>(detail_text) : args_[i];
    // Every argument travels as 64 bits: the kernel's vsnprintf (this build's, lib/vsprintf.cpp)
    // reads each conversion's argument from its own 8-byte slot, whatever its width.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
  return snprintf(buf, len, fmt_, a[0], a[1], a[2], a[3], a[4], a[5]);
#pragma GCC diagnostic pop
}

void Error::report(bool warning) const {
  if (ok() || reported_) return;  // reported_ is set only for errors
  reported_ = true;
  char msg[320];
  format(msg, sizeof msg);
  if (warning)
    pr_warn("%s\n", msg);
  else
    pr_err("%s\n", msg);
}

}  // namespace kernel
