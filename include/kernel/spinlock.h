// A test-and-set spinlock with acquire/release ordering, and the IRQ-masking guard used with it.
#pragma once

#include "asm/atomic.h"
#include "asm/irqflags.h"

namespace kernel {

class SpinLock {
 public:
  void lock() {
    while (arch_xchg_acquire(&locked_, 1u)) {
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) arch_cpu_relax();
    }
  }
  // One attempt, for callers that bound their wait (printk). Reads first, so a waiter does not
  // take the line from the holder with a store on every attempt.
  bool try_lock() { return !__atomic_load_n(&locked_, __ATOMIC_RELAXED) && !arch_xchg_acquire(&locked_, 1u); }
  void unlock() { __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

 private:
  uint32_t locked_ = 0;
};

// RAII: interrupts masked and the lock held for the scope (raw_spin_lock_irqsave), for any lock
// with lock() and unlock(); IrqSaveGuard is the one for a SpinLock (printk's re-entrant log lock
// uses BasicIrqSaveGuard<LogLock>).
template <typename Lock>
class BasicIrqSaveGuard {
 public:
  explicit BasicIrqSaveGuard(Lock& l) : lock_(l), flags_(arch_local_irq_save()) { lock_.lock(); }
  ~BasicIrqSaveGuard() {
    lock_.unlock();
    arch_local_irq_restore(flags_);
  }
  BasicIrqSaveGuard(const BasicIrqSaveGuard&) = delete;
  BasicIrqSaveGuard& operator=(const BasicIrqSaveGuard&) = delete;

 private:
  Lock& lock_;
  unsigned long flags_;
};
using IrqSaveGuard = BasicIrqSaveGuard<SpinLock>;

}  // namespace kernel
