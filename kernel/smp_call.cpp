// Cross-CPU calls and stop_machine (see include/kernel/smp_call.h), for the kernel and the host.
#include "kernel/smp_call.h"

#include "kernel/printk.h"
#include "asm/irqflags.h"
#include "kernel/spinlock.h"

namespace kernel {
namespace {

struct CallRequest {
  CallRequest* next;
  SmpCallFn fn;
  void* arg;
  uint32_t busy;  // kQueued from the push, kRunning once the target took it, kIdle (release) after fn
};

// A request's life: kQueued from the push; the target takes it (kQueued -> kRunning, a CAS) and
// stores kIdle (release) after fn. A caller whose bound passes while its request is still queued
// cancels it (kQueued -> kCancelled, the same CAS): the target then drops it without running fn,
// so "not answered" really means fn never runs (its argument may be gone with the caller's
// stack). A request the target is running is waited for however long fn takes, with a warning each
// bound, as Linux's CSD lock debugging does.
enum : uint32_t { kIdle = 0, kRunning = 1, kQueued = 2, kCancelled = 3 };

CallRequest g_req[kMaxCpus][kMaxCpus];  // [caller][target]
CallRequest* g_queue[kMaxCpus];         // per target: a lock-free list, newest first
SmpHooks* g_hooks = nullptr;
uint64_t g_timeout_ns = 1'000'000'000;

bool busy(const CallRequest& r) { return __atomic_load_n(&r.busy, __ATOMIC_ACQUIRE) != 0; }

// Many callers push, only the target takes (the whole list at once), so there is no ABA.
void push(unsigned target, CallRequest* r) {
  CallRequest* head = __atomic_load_n(&g_queue[target], __ATOMIC_RELAXED);
  do {
    r->next = head;
  } while (!__atomic_compare_exchange_n(&g_queue[target], &head, r, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

// Spins until `r` is done; false if the target had not taken it when the bound passed. With
// `cancel` the request is then cancelled (fn will not run); without, it stays queued (someone
// else's asynchronous call, or one that is cancelled already).
bool wait_done(SmpHooks* h, CallRequest& r, unsigned cpu, bool cancel = true) {
  uint64_t start = h->now_ns();
  unsigned warned = 0;
  for (;;) {
    uint32_t st = __atomic_load_n(&r.busy, __ATOMIC_ACQUIRE);
    if (st == kIdle) return true;
    if (h->now_ns() - start <= g_timeout_ns) {
      h->cpu_relax();
      continue;
    }
    if (st == kCancelled) return false;  // an earlier caller gave up on it: it never runs
    if (st == kQueued) {
      if (!cancel) return false;
      if (__atomic_compare_exchange_n(&r.busy, &st, uint32_t{kCancelled}, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false;
      continue;  // taken meanwhile: now running (or done)
    }
    pr_warn("smp: CPU%u has been running a cross-call (%p) for %u x %lu ms; still waiting\n", cpu,
            reinterpret_cast<void*>(r.fn), ++warned, g_timeout_ns / 1'000'000);
    start = h->now_ns();
  }
}

Error no_answer(unsigned cpu) {
  return KERR(Errc::NotFound, "smp: CPU%u did not answer a cross-call within %lu ms (interrupts masked there?)", cpu,
              g_timeout_ns / 1'000'000);
}

// Queues fn on `cpu` (not this CPU) and sends the IPI; the request slot is returned for waiting.
Result<CallRequest*> queue_call(SmpHooks* h, unsigned me, unsigned cpu, SmpCallFn fn, void* arg) {
  if (cpu >= kMaxCpus || !h->cpu_online(cpu))
    return KERR(Errc::Invalid, "smp: cross-call to CPU%u, which is not online", cpu);
  CallRequest& r = g_req[me][cpu];
  // With interrupts masked this CPU answers nobody while it waits: two CPUs doing so would stall
  // each other for the whole bound.
  if (busy(r) && h->irqs_disabled())
    return KERR(Errc::SlotLive, "smp: CPU%u has not yet run CPU%u's previous cross-call (interrupts masked here)", cpu,
                me);
  if (busy(r) && !wait_done(h, r, cpu, /*cancel=*/false))
    return KERR(Errc::SlotLive, "smp: CPU%u never ran CPU%u's previous cross-call; not sending another", cpu, me);
  // Claim the slot with interrupts masked: an interrupt handler on this CPU calling the same
  // target between the check and the push would otherwise push the slot twice (a loop in the list).
  const unsigned long flags = h->irq_save();
  if (busy(r)) {
    h->irq_restore(flags);
    return KERR(Errc::SlotLive, "smp: CPU%u's slot on CPU%u was taken meanwhile (an interrupt handler's call)", me,
                cpu);
  }
  r.fn = fn;
  r.arg = arg;
  r.busy = kQueued;  // published by push's release
  push(cpu, &r);
  h->send_call_ipi(cpu);
  h->irq_restore(flags);
  return &r;
}

// Before cross-calls are installed (or without an interrupt controller) nothing else takes part:
// interrupts masked on this CPU and, after a stop_machine function, a context synchronisation.
void context_sync_local() {
#ifndef KERNEL_HOST_BUILD
  asm volatile("isb" ::: "memory");
#endif
}

void run_here(SmpHooks* h, SmpCallFn fn, void* arg) {
  const unsigned long flags = h ? h->irq_save() : arch_local_irq_save();
  fn(arg);
  if (h)
    h->irq_restore(flags);
  else
    arch_local_irq_restore(flags);
}

}  // namespace

void smp_call_install(SmpHooks* hooks) { g_hooks = hooks; }
SmpHooks* smp_hooks() { return g_hooks; }
void smp_call_set_timeout_ns(uint64_t ns) { g_timeout_ns = ns; }

void smp_call_handle_ipi() {
  SmpHooks* h = g_hooks;
  if (!h) return;
  CallRequest* list = __atomic_exchange_n(&g_queue[h->this_cpu()], nullptr, __ATOMIC_ACQUIRE);
  CallRequest* fifo = nullptr;  // oldest first
  while (list) {
    CallRequest* next = list->next;
    list->next = fifo;
    fifo = list;
    list = next;
  }
  while (fifo) {
    CallRequest* r = fifo;
    fifo = r->next;  // read before the slot is handed back
    uint32_t queued = kQueued;
    if (__atomic_compare_exchange_n(&r->busy, &queued, uint32_t{kRunning}, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
      r->fn(r->arg);  // else cancelled by its caller, who has stopped waiting: dropped unrun
    __atomic_store_n(&r->busy, uint32_t{kIdle}, __ATOMIC_RELEASE);
  }
}

Status smp_call_function_single(unsigned cpu, SmpCallFn fn, void* arg, bool wait) {
  SmpHooks* h = g_hooks;
  const unsigned me = h ? h->this_cpu() : 0;
  if (cpu == me) {
    run_here(h, fn, arg);
    return {};
  }
  if (!h) return KERR(Errc::Invalid, "smp: cross-call to CPU%u before SMP is up", cpu);
  if (wait && h->irqs_disabled())
    return KERR(Errc::Invalid,
                "smp: waiting cross-call to CPU%u with interrupts masked (two CPUs doing this wait forever) "
                "(caller %p)",
                cpu, __builtin_return_address(0));
  CallRequest* r = TRY(queue_call(h, me, cpu, fn, arg));
  if (wait && !wait_done(h, *r, cpu)) return no_answer(cpu);
  return {};
}

Status on_each_cpu(SmpCallFn fn, void* arg) {
  SmpHooks* h = g_hooks;
  if (!h) {
    run_here(h, fn, arg);
    return {};
  }
  if (h->irqs_disabled())
    return KERR(Errc::Invalid, "smp: on_each_cpu with interrupts masked (caller %p)", __builtin_return_address(0));
  const unsigned me = h->this_cpu();
  CallRequest* sent[kMaxCpus] = {};
  Status result;
  for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
    if (cpu == me || !h->cpu_online(cpu)) continue;
    Result<CallRequest*> r = queue_call(h, me, cpu, fn, arg);
    if (r.ok())
      sent[cpu] = r.value();
    else if (result.ok())
      result = r.error();
  }
  run_here(h, fn, arg);
  for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu)
    if (sent[cpu] && !wait_done(h, *sent[cpu], cpu) && result.ok()) result = no_answer(cpu);
  return result;
}

// ---- stop_machine ------------------------------------------------------------------------------

namespace {

enum StopState : uint32_t { kPrepare = 1, kDisableIrq, kRun, kExit, kAbort = 0xff };

struct StopData {
  uint32_t state;
  uint32_t acks;  // CPUs still to acknowledge the current state
  uint32_t threads;
  uint64_t generation;
  uint32_t joined;  // bit n: CPU n reached the rendezvous
  unsigned active;  // the CPU that runs fn
  StopFn fn;
  void* arg;
  Status result;
};

SpinLock g_stop_lock;  // one stop_machine at a time
StopData g_stop;
uint64_t g_stop_count = 0;

void ack_state(uint32_t state) {
  if (__atomic_sub_fetch(&g_stop.acks, 1u, __ATOMIC_ACQ_REL) == 0) {
    __atomic_store_n(&g_stop.acks, g_stop.threads, __ATOMIC_RELAXED);
    // Only from `state`: the caller may have turned a late kPrepare into kAbort.
    uint32_t expected = state;
    __atomic_compare_exchange_n(&g_stop.state, &expected, state + 1, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
  }
}

// Every participating CPU, the caller included: step through the states with the others.
// Interrupts are masked throughout (on the others this already runs in the IPI handler).
void multi_cpu_stop(SmpHooks* h, bool caller) {
  const unsigned long flags = h->irq_save();
  const unsigned me = h->this_cpu();
  __atomic_fetch_or(&g_stop.joined, 1u << me, __ATOMIC_RELAXED);
  const uint64_t start = h->now_ns();
  uint32_t seen = 0;
  for (;;) {
    const uint32_t st = __atomic_load_n(&g_stop.state, __ATOMIC_ACQUIRE);
    if (st == kAbort || st > kExit) break;
    if (st != seen) {
      seen = st;
      if (st == kRun && me == g_stop.active) g_stop.result = g_stop.fn(g_stop.arg);
      ack_state(st);
      if (st == kExit) break;
      continue;
    }
    // The caller gives up on a CPU that never joins, and only before anything ran.
    if (caller && st == kPrepare && h->now_ns() - start > g_timeout_ns) {
      uint32_t expected = kPrepare;
      if (__atomic_compare_exchange_n(&g_stop.state, &expected, uint32_t{kAbort}, false, __ATOMIC_ACQ_REL,
                                      __ATOMIC_RELAXED))
        break;
    }
    h->cpu_relax();
  }
  h->context_sync();  // fetch anew whatever fn patched (Arm ARM B2.2.5)
  h->irq_restore(flags);
}

void stop_cpu(void* generation) {
  SmpHooks* h = g_hooks;
  // A request from a rendezvous that was aborted (this CPU came too late) does nothing. (A CPU
  // this late that passes the check just as another CPU starts a new rendezvous could still join
  // that one; it only happens after a CPU already failed to answer for the whole bound.)
  if (reinterpret_cast<uintptr_t>(generation) != __atomic_load_n(&g_stop.generation, __ATOMIC_ACQUIRE)) return;
  multi_cpu_stop(h, false);
}

}  // namespace

uint64_t stop_machine_count() { return __atomic_load_n(&g_stop_count, __ATOMIC_RELAXED); }

Status stop_machine(StopFn fn, void* arg) {
  SmpHooks* h = g_hooks;
  // One snapshot of the participants: a CPU that comes online later is neither asked nor counted
  // (an extra acknowledgement would let the others leave while fn still runs).
  uint32_t cpus = 0;
  for (unsigned cpu = 0; h && cpu < kMaxCpus; ++cpu)
    if (h->cpu_online(cpu)) cpus |= 1u << cpu;
  const unsigned online = static_cast<unsigned>(__builtin_popcount(cpus));
  if (online <= 1) {  // nobody else takes part: masking interrupts here is the whole rendezvous
    const unsigned long flags = h ? h->irq_save() : arch_local_irq_save();
    Status st = fn(arg);
    if (h) {
      h->context_sync();
      h->irq_restore(flags);
    } else {
      context_sync_local();
      arch_local_irq_restore(flags);
    }
    __atomic_add_fetch(&g_stop_count, 1, __ATOMIC_RELAXED);
    return st;
  }
  if (h->irqs_disabled())
    return KERR(Errc::Invalid, "stop_machine: called with interrupts masked (caller %p)", __builtin_return_address(0));
  g_stop_lock.lock();
  const unsigned me = h->this_cpu();
  g_stop.threads = online;
  g_stop.acks = online;
  g_stop.active = me;
  g_stop.fn = fn;
  g_stop.arg = arg;
  g_stop.result = Status();
  g_stop.joined = 0;
  const uint64_t generation = g_stop.generation + 1;
  __atomic_store_n(&g_stop.state, uint32_t{kPrepare}, __ATOMIC_RELAXED);
  __atomic_store_n(&g_stop.generation, generation, __ATOMIC_RELEASE);
  CallRequest* sent[kMaxCpus] = {};
  Status result;
  for (unsigned cpu = 0; cpu < kMaxCpus && result.ok(); ++cpu) {
    if (cpu == me || !(cpus & (1u << cpu))) continue;
    Result<CallRequest*> r = queue_call(h, me, cpu, stop_cpu, reinterpret_cast<void*>(generation));
    if (r.ok())
      sent[cpu] = r.value();
    else
      result = r.error();
  }
  if (!result.ok()) __atomic_store_n(&g_stop.state, uint32_t{kAbort}, __ATOMIC_RELEASE);
  multi_cpu_stop(h, true);
  const bool aborted = __atomic_load_n(&g_stop.state, __ATOMIC_ACQUIRE) == kAbort;
  const uint32_t joined = __atomic_load_n(&g_stop.joined, __ATOMIC_RELAXED);
  unsigned late = 0;
  for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
    if (sent[cpu] && !(joined & (1u << cpu))) late = cpu;
    // Those that joined leave the rendezvous now; a late CPU's slot stays busy (the next call says so).
    if (sent[cpu] && (joined & (1u << cpu))) (void)wait_done(h, *sent[cpu], cpu);
    // One that never joined is cancelled if it is still queued (it would do nothing anyway: the
    // generation check in stop_cpu), so its slot is free again as soon as the CPU takes its IPI.
    uint32_t queued = kQueued;
    if (sent[cpu] && !(joined & (1u << cpu)))
      __atomic_compare_exchange_n(&sent[cpu]->busy, &queued, uint32_t{kCancelled}, false, __ATOMIC_ACQ_REL,
                                  __ATOMIC_RELAXED);
  }
  if (result.ok() && aborted)
    result = KERR(Errc::NotFound, "stop_machine: CPU%u did not join within %lu ms; nothing was run", late,
                  g_timeout_ns / 1'000'000);
  else if (result.ok())
    result = g_stop.result;
  if (!aborted) __atomic_add_fetch(&g_stop_count, 1, __ATOMIC_RELAXED);
  g_stop_lock.unlock();
  if (!result.ok()) result.error().report();
  return result;
}

}  // namespace kernel
