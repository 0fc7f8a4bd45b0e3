// The few concepts the kernel needs, without the hosted <concepts> header.
#pragma once

namespace kernel {

template <typename T, typename U>
concept SameAs = __is_same(T, U) && __is_same(U, T);

}  // namespace kernel
