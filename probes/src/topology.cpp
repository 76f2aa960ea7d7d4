#include "probes/topology.h"

#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

#include <hwloc.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/error.h"
#include "read_text.h"

namespace hwplan::probes {

std::string detail::read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

namespace fs = std::filesystem;
using detail::read_text;

// RAII for an hwloc topology.
struct TopologyDeleter {
  void operator()(hwloc_topology* t) const { hwloc_topology_destroy(t); }
};
using TopologyPtr = std::unique_ptr<hwloc_topology, TopologyDeleter>;

TopologyPtr load_hwloc() {
  hwloc_topology_t raw = nullptr;
  if (hwloc_topology_init(&raw) != 0) throw Error(ErrorKind::kResource, "hwloc: cannot initialise");
  TopologyPtr topology(raw);
  // PCI devices are filtered out by default; keep the important ones (GPUs, NICs).
  hwloc_topology_set_io_types_filter(raw, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  if (hwloc_topology_load(raw) != 0)
    throw Error(ErrorKind::kResource, "hwloc: cannot load the topology");
  return topology;
}

int64_t count(hwloc_topology_t t, hwloc_obj_type_t type) {
  return std::max(0, hwloc_get_nbobjs_by_type(t, type));
}

void read_caches(hwloc_topology_t t, Topology& topo) {
  const hwloc_obj_type_t levels[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
                                     HWLOC_OBJ_L4CACHE};
  for (int64_t level = 1; level <= 4; ++level) {
    const auto type = levels[level - 1];
    const int n = hwloc_get_nbobjs_by_type(t, type);
    if (n <= 0) continue;
    const hwloc_obj_t first = hwloc_get_obj_by_type(t, type, 0);
    topo.caches.push_back({level, static_cast<double>(first->attr->cache.size), n});
  }
}

void read_pci(hwloc_topology_t t, Topology& topo) {
  for (hwloc_obj_t obj = hwloc_get_next_pcidev(t, nullptr); obj != nullptr;
       obj = hwloc_get_next_pcidev(t, obj)) {
    PciDevice device;
    device.vendor_id = obj->attr->pcidev.vendor_id;
    device.class_id = obj->attr->pcidev.class_id;
    device.link_gbs = obj->attr->pcidev.linkspeed;  // GB/s, theoretical (hwloc)
    device.name = obj->name != nullptr ? obj->name : "";
    // PCI class 0x03xx is a display controller; 0x1200 a processing accelerator.
    device.gpu = (device.class_id >> 8) == 0x03 || device.class_id == 0x1200;
    topo.pci_devices.push_back(device);
  }
}

std::string cpu_model(const std::string& proc_root) {
  std::istringstream lines(read_text(fs::path(proc_root) / "proc/cpuinfo"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string selected_thp_mode(const std::string& text) {
  const auto open = text.find('[');
  const auto close = text.find(']');
  return open == std::string::npos || close == std::string::npos
             ? ""
             : text.substr(open + 1, close - open - 1);
}

}  // namespace

void parse_meminfo(const std::string& text, double& total_bytes, double& available_bytes) {
  std::istringstream lines(text);
  std::string key;
  double kib = 0;
  std::string unit;
  while (lines >> key >> kib) {
    std::getline(lines, unit);
    if (key == "MemTotal:") total_bytes = kib * 1024.0;
    if (key == "MemAvailable:") available_bytes = kib * 1024.0;
  }
}

double cgroup_memory_limit(const std::string& root) {
  const fs::path base(root);
  for (const auto& file :
       {base / "sys/fs/cgroup/memory.max", base / "sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::error_code error;
    if (!fs::exists(file, error)) continue;
    const std::string text = read_text(file);
    if (text.rfind("max", 0) == 0) return 0;
    const double limit = std::strtod(text.c_str(), nullptr);
    // cgroup v1 reports "no limit" as a huge number near 2^63.
    return limit > 0 && limit < 1e18 ? limit : 0;
  }
  return 0;
}

ApuMemory read_apu_memory(const std::string& sys_root) {
  ApuMemory apu;
  const fs::path drm = fs::path(sys_root) / "class/drm";
  std::error_code error;
  if (!fs::is_directory(drm, error)) return apu;
  std::vector<fs::path> cards;
  for (const auto& entry : fs::directory_iterator(drm, error)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("card", 0) == 0 && name.find('-') == std::string::npos)
      cards.push_back(entry.path());
  }
  std::sort(cards.begin(), cards.end());
  for (const auto& card : cards) {
    const auto device = card / "device";
    if (read_text(device / "vendor").rfind("0x1002", 0) != 0) continue;
    const std::string vram = read_text(device / "mem_info_vram_total");
    const std::string gtt = read_text(device / "mem_info_gtt_total");
    if (vram.empty() && gtt.empty()) continue;
    apu.present = true;
    apu.card = card.filename().string();
    apu.vram_total_bytes = std::strtod(vram.c_str(), nullptr);
    apu.gtt_total_bytes = std::strtod(gtt.c_str(), nullptr);
    return apu;
  }
  return apu;
}

Topology read_topology(const std::string& proc_root) {
  Topology topo;
  const auto hw = load_hwloc();
  hwloc_topology_t t = hw.get();
  topo.packages = count(t, HWLOC_OBJ_PACKAGE);
  topo.cores = count(t, HWLOC_OBJ_CORE);
  topo.pus = count(t, HWLOC_OBJ_PU);
  topo.numa_nodes = count(t, HWLOC_OBJ_NUMANODE);
  for (int64_t i = 0; i < topo.numa_nodes; ++i) {
    const auto node = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i));
    topo.numa_node_bytes.push_back(static_cast<double>(node->attr->numanode.local_memory));
  }
  read_caches(t, topo);
  read_pci(t, topo);
  topo.cpu_model = cpu_model(proc_root);
  parse_meminfo(read_text(fs::path(proc_root) / "proc/meminfo"), topo.total_ram_bytes,
                topo.available_ram_bytes);
  topo.cgroup_limit_bytes = cgroup_memory_limit(proc_root);
  topo.transparent_hugepages = selected_thp_mode(
      read_text(fs::path(proc_root) / "sys/kernel/mm/transparent_hugepage/enabled"));
  std::istringstream lines(read_text(fs::path(proc_root) / "proc/meminfo"));
  std::string key;
  while (lines >> key) {
    if (key == "HugePages_Total:") lines >> topo.hugepages_total;
  }
  return topo;
}

double Topology::last_level_cache_bytes() const { return caches.empty() ? 0 : caches.back().bytes; }

double probe_memory_budget(const Topology& topo) {
  double available = topo.available_ram_bytes;
  if (topo.cgroup_limit_bytes > 0) available = std::min(available, topo.cgroup_limit_bytes);
  return available / 4.0;
}

MacGpuMemory read_mac_gpu_memory() {
  MacGpuMemory m;
#if defined(__APPLE__)
  // iogpu.wired_limit_mb (macOS 14+; 0 = default) and hw.memsize, both plain integers.
  int64_t memsize = 0;
  size_t size = sizeof(memsize);
  if (sysctlbyname("hw.memsize", &memsize, &size, nullptr, 0) != 0) return m;
  m.present = true;
  m.memsize_bytes = static_cast<double>(memsize);
  int limit_mb = 0;
  size = sizeof(limit_mb);
  if (sysctlbyname("iogpu.wired_limit_mb", &limit_mb, &size, nullptr, 0) == 0 && limit_mb > 0) {
    m.wired_limit_bytes = static_cast<double>(limit_mb) * 1024.0 * 1024.0;
  }
#endif
  return m;
}

}  // namespace hwplan::probes
