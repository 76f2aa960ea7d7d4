#pragma once
// Which CPUs this process may run on, and pinning a thread to one: the operating-system part of
// the probes' and kernels' thread placement, in one place. Linux uses sched_getaffinity and
// sched_setaffinity; elsewhere (macOS has no CPU sets) the list is empty and pinning does
// nothing, so the scheduler places the threads.

#include <vector>

namespace hwplan::platform {

/// The CPUs this process may run on, in order; empty where the system cannot say.
std::vector<int> allowed_cpus();

/// Pins the calling thread to `cpu`; false where that is refused or not supported (a placement
/// hint: the thread keeps running either way).
bool pin_current_thread(int cpu);

/// The calling thread's CPU set, to restore after pinning (opaque bytes; empty where unsupported).
std::vector<unsigned char> save_thread_affinity();
/// Restores what save_thread_affinity returned (nothing for an empty one).
void restore_thread_affinity(const std::vector<unsigned char>& saved);

}  // namespace hwplan::platform
