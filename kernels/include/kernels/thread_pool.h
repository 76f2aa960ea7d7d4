#pragma once
// A fixed team of threads for the kernels: the calling thread is member 0, the others wait on an
// atomic generation counter (spin briefly, then sleep in the kernel), so a decode step can hand
// out dozens of matrix-vector products per token at microsecond cost.

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace hwplan::kernels {

/// A team of `size()` threads. Not copyable; destroy from the thread that created it.
class ThreadPool {
 public:
  /// Starts n_threads - 1 workers (n_threads >= 1). With `pin`, member i is bound to the i-th CPU
  /// this process may run on (so memory it first touches is NUMA-local); the caller's own
  /// binding is restored on destruction.
  explicit ThreadPool(int n_threads, bool pin = true);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  /// Runs fn(member) on every member, the caller as member 0, and returns when all finished.
  void run(const std::function<void(int)>& fn);

  /// The rows member `member` owns of [0, n): contiguous, multiples of `grain` except the last.
  /// The split depends only on (n, grain, size()), so a member touches the same rows every time.
  std::pair<int64_t, int64_t> share(int64_t n, int64_t grain, int member) const;

  /// Runs fn(begin, end) over each member's share of [0, n).
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  /// While it lives, the caller has its original CPU binding back (so code that places its own
  /// threads, such as a bandwidth probe, sees every CPU); the pool's pinning returns after.
  class CallerUnpinned {
   public:
    explicit CallerUnpinned(ThreadPool& pool);
    ~CallerUnpinned();
    CallerUnpinned(const CallerUnpinned&) = delete;
    CallerUnpinned& operator=(const CallerUnpinned&) = delete;

   private:
    ThreadPool& pool_;
  };

 private:
  void worker_loop(int member);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::vector<int> cpus_;
  bool restore_affinity_ = false;
  std::vector<uint8_t> saved_affinity_;
};

}  // namespace hwplan::kernels
