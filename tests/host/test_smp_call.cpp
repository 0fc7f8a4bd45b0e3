// Cross-calls and stop_machine with real concurrency: each simulated CPU is a host thread that
// takes its "interrupts" (pending IPIs) whenever it relaxes with interrupts unmasked, as a CPU
// takes an IRQ between instructions. The kernel's own code (kernel/smp_call.cpp) runs unchanged.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "kernel/printk.h"
#include "kernel/smp_call.h"
#include "log_matchers.h"

using namespace kernel;

namespace {

thread_local unsigned t_cpu = 0;
thread_local bool t_masked = false;

class ThreadCpus final : public SmpHooks {
 public:
  // `work`: what the other CPUs run between their interrupts (the code they were executing).
  explicit ThreadCpus(unsigned n, std::function<void(unsigned)> work = {}) : n_(n), work_(std::move(work)) {
    for (auto& p : pending_) p = false;
    for (auto& s : stuck_) s = false;
    for (auto& m : masked_) m = false;
    for (auto& c : syncs_) c = 0;
    smp_call_install(this);
    smp_call_set_timeout_ns(200'000'000);  // 200 ms: a stuck CPU is found quickly
    t_cpu = 0;
    for (unsigned cpu = 1; cpu < n; ++cpu) threads_.emplace_back([this, cpu] { idle(cpu); });
  }
  ~ThreadCpus() {
    stop_ = true;
    for (auto& t : threads_) t.join();
    smp_call_install(nullptr);
    smp_call_set_timeout_ns(1'000'000'000);
  }

  unsigned this_cpu() override { return t_cpu; }
  bool cpu_online(unsigned cpu) override { return cpu < n_; }
  void send_call_ipi(unsigned cpu) override { pending_[cpu].store(true, std::memory_order_release); }
  bool irqs_disabled() override { return t_masked; }
  unsigned long irq_save() override {
    const bool was = t_masked;
    t_masked = true;
    masked_[t_cpu] = true;
    return was;
  }
  void irq_restore(unsigned long flags) override {
    t_masked = flags != 0;
    masked_[t_cpu] = t_masked;
  }
  void cpu_relax() override {
    take_interrupt();
    std::this_thread::yield();
  }
  void context_sync() override { syncs_[t_cpu].fetch_add(1); }
  uint64_t now_ns() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // A CPU that stops taking interrupts (spinning with them masked), and one that resumes.
  void set_stuck(unsigned cpu, bool stuck) { stuck_[cpu] = stuck; }
  bool masked(unsigned cpu) const { return masked_[cpu]; }
  unsigned syncs(unsigned cpu) const { return syncs_[cpu]; }
  void stop_work() { work_on_ = false; }

 private:
  void take_interrupt() {
    if (t_masked || stuck_[t_cpu] || !pending_[t_cpu].exchange(false, std::memory_order_acquire)) return;
    const unsigned long f = irq_save();  // the exception entry masks interrupts
    smp_call_handle_ipi();
    irq_restore(f);
  }
  void idle(unsigned cpu) {
    t_cpu = cpu;
    while (!stop_) {
      if (work_ && work_on_) work_(cpu);
      cpu_relax();
    }
  }

  unsigned n_;
  const std::function<void(unsigned)> work_;
  std::atomic<bool> work_on_{true};
  std::atomic<bool> stop_{false};
  std::atomic<bool> pending_[kMaxCpus];
  std::atomic<bool> stuck_[kMaxCpus];
  std::atomic<bool> masked_[kMaxCpus];
  std::atomic<unsigned> syncs_[kMaxCpus];
  std::vector<std::thread> threads_;
};

std::atomic<unsigned> g_ran_on[kMaxCpus];
void record_cpu(void*) { g_ran_on[t_cpu].fetch_add(1); }

}  // namespace

TEST(SmpCall, RunsOnTheTargetCpuAndWaits) {
  for (auto& r : g_ran_on) r = 0;
  ThreadCpus cpus(4);
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    ASSERT_EQ(smp_call_function_single(cpu, record_cpu, nullptr), Errc::Ok);
    EXPECT_EQ(g_ran_on[cpu].load(), 1u) << "CPU" << cpu;  // wait=true: done when it returns
  }
}

TEST(SmpCall, OnEachCpuRunsOncePerOnlineCpu) {
  for (auto& r : g_ran_on) r = 0;
  ThreadCpus cpus(8);
  ASSERT_EQ(on_each_cpu(record_cpu, nullptr), Errc::Ok);
  for (unsigned cpu = 0; cpu < 8; ++cpu) EXPECT_EQ(g_ran_on[cpu].load(), 1u) << "CPU" << cpu;
}

TEST(SmpCall, RefusesOfflineCpusAndWaitingWithInterruptsMasked) {
  ThreadCpus cpus(2);
  EXPECT_EQ(smp_call_function_single(5, record_cpu, nullptr), Errc::Invalid);
  EXPECT_EQ(smp_call_function_single(kMaxCpus + 3, record_cpu, nullptr), Errc::Invalid);
  const unsigned long f = cpus.irq_save();
  EXPECT_EQ(smp_call_function_single(1, record_cpu, nullptr), Errc::Invalid);
  EXPECT_EQ(on_each_cpu(record_cpu, nullptr), Errc::Invalid);
  cpus.irq_restore(f);
}

TEST(SmpCall, ManyCallersOneTargetNoCallLost) {
  // Every CPU calls every other CPU N times at once: the lock-free list must lose nothing.
  static std::atomic<unsigned> hits[kMaxCpus];
  for (auto& h : hits) h = 0;
  constexpr unsigned kCpus = 4, kRounds = 300;
  std::atomic<unsigned> errors{0}, finished{0};
  auto hit = [](void*) { hits[t_cpu].fetch_add(1); };
  ThreadCpus cpus(kCpus, [&](unsigned me) {
    static thread_local unsigned round = 0;
    if (round >= kRounds) return;
    for (unsigned cpu = 0; cpu < kCpus; ++cpu)
      if (cpu != me && !smp_call_function_single(cpu, hit, nullptr).ok()) errors.fetch_add(1);
    if (++round == kRounds) finished.fetch_add(1);
  });
  for (unsigned round = 0; round < kRounds; ++round)
    for (unsigned cpu = 1; cpu < kCpus; ++cpu)
      if (!smp_call_function_single(cpu, hit, nullptr).ok()) errors.fetch_add(1);
  while (finished.load() < kCpus - 1) cpus.cpu_relax();
  EXPECT_EQ(errors.load(), 0u);
  for (unsigned cpu = 0; cpu < kCpus; ++cpu) EXPECT_EQ(hits[cpu].load(), (kCpus - 1) * kRounds) << "CPU" << cpu;
}

TEST(SmpCall, ACpuThatNeverAnswersIsReportedAndTheAbandonedCallNeverRuns) {
  for (auto& r : g_ran_on) r = 0;
  ThreadCpus cpus(3);
  cpus.set_stuck(2, true);
  EXPECT_EQ(smp_call_function_single(2, record_cpu, nullptr), Errc::NotFound);
  EXPECT_EQ(smp_call_function_single(2, record_cpu, nullptr), Errc::SlotLive);  // the first is still queued
  cpus.set_stuck(2, false);
  // The CPU takes its interrupts again and drops the cancelled request unrun; then the slot is free.
  Status st;
  for (int i = 0; i < 1000 && (st = smp_call_function_single(2, record_cpu, nullptr)) == Errc::SlotLive; ++i)
    cpus.cpu_relax();
  EXPECT_EQ(st, Errc::Ok);
  EXPECT_EQ(g_ran_on[2].load(), 1u) << "only the last call ran: the one reported as not answered never does";
}

TEST(SmpCall, ACallQueuedBehindALongOneIsCancelledNotRunAfterItsCallerGaveUp) {
  // Review finding: CPU0's asynchronous slow call and CPU2's waiting call reach CPU1 in one batch;
  // CPU2 gives up after the bound while its request is still queued. Its fn (whose argument could
  // be on CPU2's stack) must then never run.
  static std::atomic<bool> release{false}, caller_returned{false}, ran_after_return{false};
  static std::atomic<int> phase{0}, cpu2_result{-1};
  static std::atomic<unsigned> late_runs{0};
  release = caller_returned = ran_after_return = false;
  phase = 0;
  cpu2_result = -1;
  late_runs = 0;
  ThreadCpus cpus(3, [](unsigned me) {
    if (me != 2 || phase.load() != 1) return;
    phase = 2;
    Status st = smp_call_function_single(
        1,
        [](void*) {
          if (caller_returned.load()) ran_after_return = true;
          late_runs.fetch_add(1);
        },
        nullptr, true);
    cpu2_result = static_cast<int>(st.code());
    caller_returned = true;
  });
  smp_call_set_timeout_ns(50'000'000);  // 50 ms
  cpus.set_stuck(1, true);
  auto slow = [](void*) {
    while (!release.load()) std::this_thread::yield();
  };
  ASSERT_EQ(smp_call_function_single(1, slow, nullptr, false), Errc::Ok);  // queued first, not waited for
  phase = 1;
  while (phase.load() != 2) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // CPU2's request queued behind it
  cpus.set_stuck(1, false);                                    // CPU1 takes both, runs slow first
  while (!caller_returned.load()) std::this_thread::yield();   // CPU2 gave up meanwhile
  release = true;
  EXPECT_EQ(cpu2_result.load(), static_cast<int>(Errc::NotFound));
  // CPU1 goes on to the cancelled request and drops it: the slot comes back idle, fn unrun.
  for (int i = 0; i < 2000 && smp_call_function_single(1, record_cpu, nullptr) != Errc::Ok; ++i) cpus.cpu_relax();
  EXPECT_EQ(late_runs.load(), 0u);
  EXPECT_FALSE(ran_after_return.load());
}

TEST(SmpCall, ACallThatRunsLongerThanTheBoundIsWaitedForWithAWarning) {
  // Answered but slow (a loaded host running 8 vCPUs on 2 cores, or a long fn): the caller asked
  // for fn to run there, so it waits for the end and says so each bound, as Linux's CSD debugging.
  static std::atomic<bool> release{false};
  static std::atomic<unsigned> done{0};
  release = false;
  done = 0;
  log_buffer_reset();
  ThreadCpus cpus(3);
  smp_call_set_timeout_ns(20'000'000);  // 20 ms
  std::thread releaser([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    release = true;
  });
  auto slow = [](void*) {
    while (!release.load()) std::this_thread::yield();
    done.fetch_add(1);
  };
  EXPECT_EQ(smp_call_function_single(1, slow, nullptr), Errc::Ok);
  EXPECT_EQ(done.load(), 1u);  // finished before the call returned
  releaser.join();
  char log[4096];
  log_buffer_copy(log, sizeof log);
  EXPECT_THAT(std::string(log), test::HasLogLine("has been running a cross-call"));
  EXPECT_THAT(std::string(log), test::HasLogLine("still waiting"));
}

// ---- stop_machine ------------------------------------------------------------------------------

namespace {
struct StopProbe {
  ThreadCpus* cpus;
  unsigned ncpus;
  std::atomic<unsigned> runs{0};
  bool all_masked = true;
  unsigned ran_on = ~0u;
};
Status probe_fn(void* arg) {
  auto* p = static_cast<StopProbe*>(arg);
  p->runs.fetch_add(1);
  p->ran_on = t_cpu;
  for (unsigned cpu = 0; cpu < p->ncpus; ++cpu) p->all_masked &= p->cpus->masked(cpu);
  return {};
}
}  // namespace

TEST(StopMachine, EveryCpuHasInterruptsMaskedWhileFnRunsOnceAndAllSyncAfter) {
  ThreadCpus cpus(4);
  StopProbe p{&cpus, 4};
  unsigned before[4];
  for (unsigned cpu = 0; cpu < 4; ++cpu) before[cpu] = cpus.syncs(cpu);
  const uint64_t count = stop_machine_count();
  ASSERT_EQ(stop_machine(probe_fn, &p), Errc::Ok);
  EXPECT_EQ(p.runs.load(), 1u);
  EXPECT_EQ(p.ran_on, 0u);  // the caller runs it
  EXPECT_TRUE(p.all_masked) << "a CPU was not in the rendezvous with interrupts masked while fn ran";
  EXPECT_EQ(stop_machine_count(), count + 1);
  // Every CPU executes its context synchronisation before it goes back to what it was running.
  for (unsigned cpu = 0; cpu < 4; ++cpu) {
    while (cpus.syncs(cpu) == before[cpu]) cpus.cpu_relax();
    EXPECT_GT(cpus.syncs(cpu), before[cpu]) << "CPU" << cpu;
  }
}

TEST(StopMachine, ReturnsTheFunctionsStatus) {
  ThreadCpus cpus(2);
  auto fail = [](void*) -> Status { return KERR(Errc::NotText, "refused"); };
  EXPECT_EQ(stop_machine(fail, nullptr), Errc::NotText);
}

TEST(StopMachine, ACpuThatNeverJoinsAbortsBeforeAnythingRuns) {
  ThreadCpus cpus(3);
  StopProbe p{&cpus, 3};
  cpus.set_stuck(1, true);
  EXPECT_EQ(stop_machine(probe_fn, &p), Errc::NotFound);
  EXPECT_EQ(p.runs.load(), 0u);
  cpus.set_stuck(1, false);
  // The late request does nothing when it finally runs, and the next rendezvous works.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  StopProbe q{&cpus, 3};
  Status st = stop_machine(probe_fn, &q);
  EXPECT_EQ(st, Errc::Ok);
  EXPECT_EQ(q.runs.load(), 1u);
}

TEST(StopMachine, OtherCpusNeverSeeAHalfDoneUpdate) {
  // fn rewrites a two-word "instruction sequence"; CPUs that run the sequence between their
  // interrupts must see (old, old) or (new, new), never a mix: they are all in the rendezvous
  // while fn writes.
  static std::atomic<uint32_t> seq[2];
  seq[0] = 1;
  seq[1] = 1;
  std::atomic<unsigned> torn{0}, runs{0};
  ThreadCpus cpus(4, [&](unsigned) {
    const uint32_t a = seq[0].load(std::memory_order_acquire), b = seq[1].load(std::memory_order_acquire);
    if (a != b) torn.fetch_add(1);
    runs.fetch_add(1);
  });
  auto bump = [](void*) -> Status {
    const uint32_t v = seq[0].load() + 1;
    seq[0].store(v, std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::microseconds(200));  // a window for a running CPU to see the mix
    seq[1].store(v, std::memory_order_relaxed);
    return {};
  };
  for (int i = 0; i < 50; ++i) ASSERT_EQ(stop_machine(bump, nullptr), Errc::Ok);
  cpus.stop_work();
  EXPECT_EQ(seq[0].load(), 51u);
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(runs.load(), 0u);
}

TEST(StopMachine, OneCpuRunsFnDirectly) {
  ThreadCpus cpus(1);
  StopProbe p{&cpus, 1};
  EXPECT_EQ(stop_machine(probe_fn, &p), Errc::Ok);
  EXPECT_EQ(p.runs.load(), 1u);
  EXPECT_TRUE(p.all_masked);
}
