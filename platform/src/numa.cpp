#include "platform/numa.h"

#if defined(__linux__)
#include <numa.h>
#endif

namespace hwplan::platform {

#if defined(__linux__)

bool numa_supported() { return numa_available() >= 0; }
int numa_node_count() { return numa_supported() ? numa_num_configured_nodes() : 0; }
int numa_highest_node() { return numa_supported() ? numa_max_node() : -1; }

std::vector<int> numa_node_cpus(int node, const std::vector<int>& allowed) {
  std::vector<int> cpus;
  if (!numa_supported()) return cpus;
  bitmask* mask = numa_allocate_cpumask();
  if (numa_node_to_cpus(node, mask) == 0) {
    for (int cpu : allowed) {
      if (numa_bitmask_isbitset(mask, static_cast<unsigned>(cpu)) != 0) cpus.push_back(cpu);
    }
  }
  numa_free_cpumask(mask);
  return cpus;
}

void* numa_allocate_on(size_t bytes, int node) {
  return numa_supported() ? numa_alloc_onnode(bytes, node) : nullptr;
}
void numa_release(void* p, size_t bytes) { numa_free(p, bytes); }

#else

bool numa_supported() { return false; }
int numa_node_count() { return 0; }
int numa_highest_node() { return -1; }
std::vector<int> numa_node_cpus(int, const std::vector<int>&) { return {}; }
void* numa_allocate_on(size_t, int) { return nullptr; }
void numa_release(void*, size_t) {}

#endif

}  // namespace hwplan::platform
