// The kernel's one error mechanism: a Result<T> holds a value or an Error, and an Error carries a
// status code (Errc, what tests and callers branch on) and the message a user can act on.
//
// The message is kept as its printf format and arguments and formatted only where it is reported
// (Error::report, Error::format): a walk that tries and drops thousands of errors (the DT address
// translation of every node) pays nothing for their words, and a message is printed once. An API
// that reports its own misuse (with its caller's address, as Linux's set_fixmap or early_ioremap
// do) marks the Error reported, so the callers that pass it up do not print it again.
//
// %s arguments must outlive the Error: string literals, or strings inside the mapped device tree.
// A string that exists only when asked for (a device-tree node's full path) is passed as
// Error::detail() and produced at format time by the function given to with_detail().
//
//   Result<PhysAddr> r = memblock_...;          Status s = set_fixmap(...);
//   if (!r) return r.error();                    PhysAddr pa = TRY(alloc_table());
//   return KERR(Errc::Unaligned, "0x%lx is not page aligned", pa);
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/types.h"

namespace kernel {

enum class Errc : uint8_t {
  Ok = 0,
  Invalid,         // bad input: a value, an address, a size, a device tree
  NotFound,        // nothing there (no device, no node, no console)
  NotInitialised,  // used before its init step
  BadIndex,        // a fixmap index that is FIX_HOLE or past the end
  SlotLive,        // a fixmap slot live with another mapping (break-before-make)
  NotMapped,       // clearing or unmapping what is not mapped
  TableMissing,    // the walk did not reach the fixmap's tables
  OutOfMemory,
  Unaligned,
  Conflict,     // a different valid mapping is already there
  Unreachable,  // a table page (or alias) the MMU cannot reach
  NotText,      // patching outside the kernel text
  MapFailed,    // a temporary mapping could not be made
  NoFreeSlot,   // every early_ioremap slot in use
  ZeroSize,
  WrapAround,  // a range past the end of the address space
  TooLarge,
  AfterReset,  // early_ioremap after the buddy allocator is up
  AlreadyUnmapped,
  SizeMismatch,
  IsRam,       // a device mapping of RAM (mismatched attributes)
  OutOfRange,  // not a page of this allocator
  Reserved,    // reserved memory, never allocated
  DoubleFree,
  NeverAllocated,
  WrongOrder,
};

// "SlotLive", "Ok", ...: for tests and terse logs.
const char* errc_name(Errc c);

// An Error is copied memberwise, unused arguments and all; GCC at -O2 with ASan calls that copy of
// indeterminate values "used uninitialized" (a copy of an Error built with no arguments, e.g. in
// drivers/of/fdt.cpp). Zeroing them would cost every error path stores and, through inlining,
// the success paths measurably (early_ioremap of one page: +31 instructions): silenced instead,
// here, where the warning is located.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
class Error {
 public:
  static constexpr unsigned kMaxArgs = 6;

  constexpr Error() : code_(Errc::Ok) {}  // only the code: an Ok Status costs one store
  template <typename... Args>
  Error(Errc code, const char* fmt, Args... args)
      : code_(code), reported_(false), nargs_(sizeof...(Args)), fmt_(fmt), detail_fn_(nullptr) {
    static_assert(sizeof...(Args) <= kMaxArgs, "an Error carries at most 6 arguments");
    unsigned i = 0;
    ((args_[i++] = to_arg(args)), ...);
  }

  // A %s argument standing for the text with_detail() produces when the message is formatted.
  static const char* detail();
  using DetailFn = void (*)(const void* ctx, int arg, char* buf, size_t len);
  Error with_detail(DetailFn fn, const void* ctx, int arg) && {
    detail_fn_ = fn;
    detail_ctx_ = ctx;
    detail_arg_ = arg;
    return *this;
  }

  constexpr Errc code() const { return code_; }
  constexpr bool ok() const { return code_ == Errc::Ok; }
  // The message, formatted now ("" for Ok). Returns what snprintf returns.
  int format(char* buf, size_t len) const;
  // pr_err (pr_warn with `warning`) of the message, unless it was reported already.
  void report(bool warning = false) const;
  bool reported() const { return !ok() && reported_; }
  // The API that detected the problem printed it (with its caller): callers must not again.
  Error& mark_reported() {
    if (!ok()) reported_ = true;
    return *this;
  }

 private:
  template <typename T>
  static uint64_t to_arg(T* p) {
    return reinterpret_cast<uintptr_t>(p);
  }
  template <typename Tag>
  static uint64_t to_arg(Address<Tag> a) {
    return a.value();
  }
  template <typename T>  // integers (sign-extended) and enums
  static uint64_t to_arg(T v) {
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }

  // Everything but the code is meaningful only for an error, and set only then.
  Errc code_;
  mutable bool reported_;
  uint8_t nargs_;
  const char* fmt_;
  DetailFn detail_fn_;
  const void* detail_ctx_;
  int detail_arg_;
  uint64_t args_[kMaxArgs];
};
#pragma GCC diagnostic pop

// Compile-time printf checking of an Error's format and arguments (never called).
[[gnu::format(printf, 1, 2)]] int error_format_check(const char* fmt, ...);

}  // namespace kernel

// An Error whose format string and arguments the compiler checks like printk's.
#define KERR(code, fmt, ...) \
  ((void)sizeof(::kernel::error_format_check(fmt, ##__VA_ARGS__)), ::kernel::Error((code), fmt, ##__VA_ARGS__))

namespace kernel {

// What Result<T> and Result<void> share: the Error, and the questions about it.
class ResultBase {
 public:
  bool ok() const { return error_.ok(); }
  explicit operator bool() const { return ok(); }
  Errc code() const { return error_.code(); }
  const Error& error() const { return error_; }
  Error& error() { return error_; }

 protected:
  ResultBase() = default;
  explicit ResultBase(Error e) : error_(e) {}
  Error error_;
};

// T need not be default-constructible (a PhysRange exists only checked): the value lives in a
// union that an error leaves unset. Kernel result types are trivially copyable.
template <typename T>
class [[nodiscard]] Result : public ResultBase {
  static_assert(__is_trivially_copyable(T), "Result<T> holds trivially copyable values");

 public:
  Result(T value) : value_(value) {}
  // An Ok Error carries no value: a Result built from one would be "ok" without a value, so it
  // becomes an error that says so (a programming mistake made visible, not undefined).
  Result(Error e)
      : ResultBase(e.ok() ? Error(Errc::Invalid, "Result<T> built from an Ok Error (a bug)") : e), none_() {}

  T value() const { return value_; }  // only when ok()
  T value_or(T other) const { return ok() ? value_ : other; }
  T take() const { return value_; }  // for TRY

 private:
  union {
    T value_;
    char none_;
  };
};

template <>
class [[nodiscard]] Result<void> : public ResultBase {
 public:
  Result() = default;
  Result(Error e) : ResultBase(e) {}
  void take() const {}
};

using Status = Result<void>;

// Tests and callers compare a result with a code directly: EXPECT_EQ(set_fixmap(...), Errc::Ok).
template <typename T>
bool operator==(const Result<T>& r, Errc c) {
  return r.code() == c;
}

}  // namespace kernel

// Evaluates a Result; on error returns its Error from the enclosing function (which returns a
// Result or a Status), else yields the value.
#define TRY(expr)                                      \
  ({                                                   \
    auto&& try_result_ = (expr);                       \
    if (!try_result_.ok()) return try_result_.error(); \
    try_result_.take();                                \
  })
