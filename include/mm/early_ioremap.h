// early_ioremap / early_memremap: temporary mappings of up to 256 KiB in the fixmap's BTMAP
// window (7 slots), for the time before the linear map and ioremap exist. Linux semantics: the
// first free slot, the in-page offset kept, pages mapped with increasing addresses, and a size
// limit per slot that counts the offset. Every misuse is reported with the caller's address.
#pragma once

#include "kernel/error.h"
#include "mm/fixmap.h"

namespace kernel {

// Failures are reported on the console, once, with the caller's address; the Linux-named calls
// return nullptr. The *_checked forms return the Error too (codes: Errc::AfterReset, ZeroSize,
// WrapAround, IsRam, TooLarge, NoFreeSlot, and the fixmap's; for unmap NotMapped,
// AlreadyUnmapped, SizeMismatch).

struct EarlyIoremapSlotInfo {
  bool used;
  VirtAddr va;
  PhysAddr phys;
  uint64_t size;
  void* caller;
};

void* early_ioremap(PhysAddr phys, uint64_t size);      // Device-nGnRE
void* early_memremap(PhysAddr phys, uint64_t size);     // Normal, RW, XN
void* early_memremap_ro(PhysAddr phys, uint64_t size);  // Normal, RO, XN
void* early_memremap_prot(PhysAddr phys, uint64_t size, PgProt prot);
void early_iounmap(void* addr, uint64_t size);
void early_memunmap(void* addr, uint64_t size);
Result<void*> early_remap_checked(PhysAddr phys, uint64_t size, PgProt prot);
Status early_unmap_checked(void* addr, uint64_t size);
// Copies physical memory in slot-sized chunks (any size). Returns false if a chunk failed.
bool copy_from_early_mem(void* dest, PhysAddr src, uint64_t size);

// After paging_init and the buddy allocator: early_ioremap refuses from now on ("use ioremap").
void early_ioremap_reset();
bool early_ioremap_is_reset();
// End of boot: reports every mapping still live with its caller. Returns how many.
unsigned early_ioremap_check_leaks();

// Introspection for tests and the monitor.
EarlyIoremapSlotInfo early_ioremap_slot(unsigned slot);
void early_ioremap_forget_all();  // host tests: back to the boot state (does not touch the fixmap)

// RAII: an early_memremap that unmaps itself.
class ScopedEarlyMemremap {
 public:
  ScopedEarlyMemremap(PhysAddr phys, uint64_t size, PgProt prot = FIXMAP_PAGE_RO)
      : size_(size), ptr_(early_memremap_prot(phys, size, prot)) {}
  ~ScopedEarlyMemremap() {
    if (ptr_) early_memunmap(ptr_, size_);
  }
  ScopedEarlyMemremap(const ScopedEarlyMemremap&) = delete;
  ScopedEarlyMemremap& operator=(const ScopedEarlyMemremap&) = delete;
  void* get() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  uint64_t size_;
  void* ptr_;
};

}  // namespace kernel
