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
  void unlock() { __atomic_store_n(&locked_, 0u, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

 private:
  uint32_t locked_ = 0;
};

// RAII: interrupts masked and the lock held for the scope (raw_spin_lock_irqsave).
class IrqSaveGuard {
 public:
  explicit IrqSaveGuard(SpinLock& l) : lock_(l), flags_(arch_local_irq_save()) { lock_.lock(); }
  ~IrqSaveGuard() {
    lock_.unlock();
    arch_local_irq_restore(flags_);
  }
  IrqSaveGuard(const IrqSaveGuard&) = delete;
  IrqSaveGuard& operator=(const IrqSaveGuard&) = delete;

 private:
  SpinLock& lock_;
  unsigned long flags_;
};

}  // namespace kernel
