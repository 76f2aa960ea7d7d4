#pragma once
// The CUDA side of the GPU probes in plain types, so the .cu file needs neither the project's
// C++20 headers nor its libraries (cuda_probe.cpp turns these into probes:: results).

#include <cstddef>
#include <string>
#include <vector>

namespace hwplan::probes::cuda_raw {

struct Device {
  bool present = false;
  std::string reason;
  std::string name;
  int compute_major = 0, compute_minor = 0;
  double total_bytes = 0, free_bytes = 0;
  int pci_bus = 0, pci_device = 0;
  double theoretical_bandwidth_bytes_per_s = 0;
};

struct Transfer {
  std::string direction;
  bool pinned = true;
  double bytes = 0;
  std::vector<double> gbs;
};

struct Measurement {
  Device device;
  std::vector<Transfer> transfers;
  std::vector<double> device_read_gbs;
  double small_transfer_latency_us = 0;
};

Device device();
Measurement run(double max_transfer_bytes, int repetitions, bool (*cancelled)());

}  // namespace hwplan::probes::cuda_raw
