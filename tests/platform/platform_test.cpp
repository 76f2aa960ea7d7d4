#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "platform/affinity.h"
#include "platform/numa.h"

namespace hwplan::platform {
namespace {

#if defined(__linux__)
// Linux: the process may run somewhere; a thread pinned to the first allowed CPU reports just
// that CPU as its set, and the saved set comes back whole.
TEST(Affinity, PinsAThreadAndRestoresItsSet) {
  const auto cpus = allowed_cpus();
  ASSERT_FALSE(cpus.empty());
  EXPECT_TRUE(std::is_sorted(cpus.begin(), cpus.end()));
  std::thread([&] {
    const auto saved = save_thread_affinity();
    ASSERT_FALSE(saved.empty());
    ASSERT_TRUE(pin_current_thread(cpus.front()));
    EXPECT_EQ(allowed_cpus(), std::vector<int>{cpus.front()});
    restore_thread_affinity(saved);
    EXPECT_EQ(allowed_cpus(), cpus);
  }).join();
  EXPECT_FALSE(pin_current_thread(-1));
}
#endif

// Whatever the system: the NUMA view is consistent (a node count with a highest node, or
// nothing), and a node's CPUs are among the allowed ones.
TEST(Numa, ConsistentViewOfNodes) {
  if (!numa_supported()) {
    EXPECT_EQ(numa_node_count(), 0);
    EXPECT_EQ(numa_highest_node(), -1);
    EXPECT_EQ(numa_allocate_on(4096, 0), nullptr);
    return;
  }
  ASSERT_GE(numa_node_count(), 1);
  EXPECT_GE(numa_highest_node(), numa_node_count() - 1);
  const auto allowed = allowed_cpus();
  for (int cpu : numa_node_cpus(0, allowed))
    EXPECT_NE(std::find(allowed.begin(), allowed.end(), cpu), allowed.end()) << cpu;
  void* p = numa_allocate_on(1 << 20, 0);
  ASSERT_NE(p, nullptr);
  static_cast<char*>(p)[0] = 1;
  numa_release(p, 1 << 20);
}

}  // namespace
}  // namespace hwplan::platform
