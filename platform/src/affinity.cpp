#include "platform/affinity.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>

#include <cstring>
#endif

namespace hwplan::platform {

#if defined(__linux__)

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

std::vector<unsigned char> save_thread_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return {};
  std::vector<unsigned char> saved(sizeof(set));
  std::memcpy(saved.data(), &set, sizeof(set));
  return saved;
}

void restore_thread_affinity(const std::vector<unsigned char>& saved) {
  if (saved.size() != sizeof(cpu_set_t)) return;
  cpu_set_t set;
  std::memcpy(&set, saved.data(), sizeof(set));
  (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

#else

std::vector<int> allowed_cpus() { return {}; }
bool pin_current_thread(int) { return false; }
std::vector<unsigned char> save_thread_affinity() { return {}; }
void restore_thread_affinity(const std::vector<unsigned char>&) {}

#endif

}  // namespace hwplan::platform
