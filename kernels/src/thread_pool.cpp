// Workers wait for a new generation number: a short spin (a decode step issues the next product
// within microseconds), then std::atomic::wait, which sleeps in the kernel (futex on Linux).
#include "kernels/thread_pool.h"

#include <algorithm>

#include "common/check.h"
#include "platform/affinity.h"

namespace hwplan::kernels {
namespace {

constexpr int kSpinIterations = 20000;

void cpu_relax() {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads, bool pin) : n_threads_(n_threads) {
  HWPLAN_CHECK(n_threads >= 1) << "thread count " << n_threads;
  if (pin) cpus_ = platform::allowed_cpus();
  if (static_cast<int>(cpus_.size()) >= n_threads) {
    saved_affinity_ = platform::save_thread_affinity();
    restore_affinity_ = !saved_affinity_.empty();
    if (restore_affinity_) platform::pin_current_thread(cpus_[0]);
  } else {
    cpus_.clear();  // more threads than CPUs: let the scheduler place them
  }
  workers_.reserve(static_cast<size_t>(n_threads - 1));
  for (int m = 1; m < n_threads; ++m) workers_.emplace_back([this, m] { worker_loop(m); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (restore_affinity_) platform::restore_thread_affinity(saved_affinity_);
}

ThreadPool::CallerUnpinned::CallerUnpinned(ThreadPool& pool) : pool_(pool) {
  if (pool_.restore_affinity_) platform::restore_thread_affinity(pool_.saved_affinity_);
}

ThreadPool::CallerUnpinned::~CallerUnpinned() {
  // Pinning is a placement hint; a refusal (restricted container) leaves the thread floating.
  if (pool_.restore_affinity_) platform::pin_current_thread(pool_.cpus_[0]);
}

void ThreadPool::worker_loop(int member) {
  if (!cpus_.empty()) platform::pin_current_thread(cpus_[static_cast<size_t>(member)]);
  uint64_t seen = 0;
  while (true) {
    uint64_t now = generation_.load(std::memory_order_acquire);
    for (int spin = 0; now == seen && spin < kSpinIterations; ++spin) {
      cpu_relax();
      now = generation_.load(std::memory_order_acquire);
    }
    if (now == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      continue;
    }
    seen = now;
    if (stop_.load()) return;
    (*task_)(member);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

void ThreadPool::run(const std::function<void(int)>& fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  task_ = &fn;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  fn(0);
  int left = pending_.load(std::memory_order_acquire);
  for (int spin = 0; left != 0 && spin < kSpinIterations; ++spin) {
    cpu_relax();
    left = pending_.load(std::memory_order_acquire);
  }
  while (left != 0) {
    pending_.wait(left, std::memory_order_acquire);
    left = pending_.load(std::memory_order_acquire);
  }
}

std::pair<int64_t, int64_t> ThreadPool::share(int64_t n, int64_t grain, int member) const {
  const int64_t units = (n + grain - 1) / grain;
  const int64_t base = units / n_threads_;
  const int64_t extra = units % n_threads_;
  const int64_t first = member * base + std::min<int64_t>(member, extra);
  const int64_t count = base + (member < extra ? 1 : 0);
  return {std::min(n, first * grain), std::min(n, (first + count) * grain)};
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& fn) {
  run([&](int member) {
    const auto [begin, end] = share(n, grain, member);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace hwplan::kernels
