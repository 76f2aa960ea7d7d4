#include "thread_team.h"

#include <algorithm>
#include <chrono>

#include "platform/affinity.h"

namespace hwplan::probes::detail {

ThreadTeam::ThreadTeam(int count, const std::vector<int>& cpus)
    : starts_(static_cast<size_t>(count)),
      ends_(static_cast<size_t>(count)),
      start_(count + 1),
      done_(count + 1) {
  for (int i = 0; i < count; ++i) {
    const int cpu = cpus.empty() ? -1 : cpus[static_cast<size_t>(i) % cpus.size()];
    threads_.emplace_back([this, i, cpu] { loop(i, cpu); });
  }
}

ThreadTeam::~ThreadTeam() {
  stop_ = true;
  start_.arrive_and_wait();
  for (auto& thread : threads_) thread.join();
}

void ThreadTeam::loop(int index, int cpu) {
  if (cpu >= 0) platform::pin_current_thread(cpu);
  while (true) {
    start_.arrive_and_wait();
    if (stop_) return;
    const auto i = static_cast<size_t>(index);
    starts_[i] =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    (*job_)(index);
    ends_[i] =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    done_.arrive_and_wait();
  }
}

double ThreadTeam::run(const std::function<void(int)>& job) {
  job_ = &job;
  start_.arrive_and_wait();
  done_.arrive_and_wait();
  return *std::max_element(ends_.begin(), ends_.end()) -
         *std::min_element(starts_.begin(), starts_.end());
}

}  // namespace hwplan::probes::detail
