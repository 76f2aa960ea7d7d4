#pragma once
// NUMA nodes: how many, which CPUs each has, and memory bound to one. libnuma on Linux; elsewhere
// supported() is false and the rest report nothing.

#include <cstddef>
#include <vector>

namespace hwplan::platform {

/// Whether the system supports NUMA placement (libnuma's numa_available on Linux).
bool numa_supported();
/// Configured NUMA nodes (0 when unsupported).
int numa_node_count();
/// The highest node number (-1 when unsupported).
int numa_highest_node();
/// The CPUs of `node` among `allowed`.
std::vector<int> numa_node_cpus(int node, const std::vector<int>& allowed);
/// `bytes` bound to `node`; nullptr on failure or where unsupported. Free with numa_release.
void* numa_allocate_on(size_t bytes, int node);
void numa_release(void* p, size_t bytes);

}  // namespace hwplan::platform
