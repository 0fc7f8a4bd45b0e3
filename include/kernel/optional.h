// A value or nothing, for results where every value of T is legal (a physical address of 0 is
// RAM on a Raspberry Pi): no sentinel. Freestanding, no exceptions: value() on an empty Optional
// is a bug the caller checked against with has_value().
#pragma once

namespace kernel {

struct NulloptT {
  explicit constexpr NulloptT(int) {}
};
inline constexpr NulloptT nullopt{0};

template <typename T>
class [[nodiscard]] Optional {
 public:
  constexpr Optional() = default;
  constexpr Optional(NulloptT) {}
  constexpr Optional(T v) : has_(true), v_(v) {}

  constexpr bool has_value() const { return has_; }
  constexpr explicit operator bool() const { return has_; }
  constexpr T value() const { return v_; }
  constexpr T value_or(T other) const { return has_ ? v_ : other; }
  constexpr T operator*() const { return v_; }

 private:
  bool has_ = false;
  T v_{};
};

}  // namespace kernel
