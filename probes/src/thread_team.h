#pragma once
// A team of threads pinned to distinct CPUs that run one job together; the caller times the span
// from "all released" to "all done" (probes/bandwidth.cpp, probes/compute.cpp).

#include <barrier>
#include <functional>
#include <thread>
#include <vector>

namespace hwplan::probes::detail {

class ThreadTeam {
 public:
  /// Starts `count` threads pinned to `cpus[i % cpus.size()]`.
  ThreadTeam(int count, const std::vector<int>& cpus);
  ~ThreadTeam();
  ThreadTeam(const ThreadTeam&) = delete;
  ThreadTeam& operator=(const ThreadTeam&) = delete;

  /// Runs job(thread_index) on every thread; returns the seconds from the earliest thread's
  /// start to the latest thread's end, each read by the worker itself (so a descheduled caller
  /// cannot stretch or shrink the span).
  double run(const std::function<void(int)>& job);
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void loop(int index, int cpu);

  std::vector<std::thread> threads_;
  std::vector<double> starts_, ends_;
  std::barrier<> start_;
  std::barrier<> done_;
  const std::function<void(int)>* job_ = nullptr;
  bool stop_ = false;
};

}  // namespace hwplan::probes::detail
