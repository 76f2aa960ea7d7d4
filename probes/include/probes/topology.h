#pragma once
// Capacity and topology of this machine: hwloc for packages, cores, caches, NUMA and PCI; procfs
// and cgroupfs for memory; sysfs for an AMD APU's GPU memory.

#include <string>

#include "probes/measurement.h"

namespace hwplan::probes {

/// Reads the topology with hwloc (RAII inside) and memory figures from `proc_root` (normally "/").
Topology read_topology(const std::string& proc_root = "/");

/// MemTotal and MemAvailable (bytes) from a /proc/meminfo text.
void parse_meminfo(const std::string& text, double& total_bytes, double& available_bytes);

/// The cgroup memory limit in bytes from cgroup v2 memory.max or v1 memory.limit_in_bytes under
/// `root`; 0 when unlimited or absent.
double cgroup_memory_limit(const std::string& root);

/// Reads /sys/class/drm/card*/device/mem_info_vram_total and mem_info_gtt_total under `sys_root`
/// for the first AMD (vendor 0x1002) GPU; present = false when there is none.
ApuMemory read_apu_memory(const std::string& sys_root = "/sys");

/// A Mac's GPU wired limit and RAM through sysctl; present = false on other systems (the code
/// is compiled only on macOS).
MacGpuMemory read_mac_gpu_memory();

/// Memory a probe may allocate: a quarter of what is available (cgroup limit included).
double probe_memory_budget(const Topology& topology);

}  // namespace hwplan::probes
