// probes:: results from the raw CUDA measurements (cuda_raw.cu).
#include "probes/cuda_probe.h"

#include "common/cancel.h"
#include "cuda_raw.h"

namespace hwplan::probes {
namespace {

bool cancelled() { return cancel_requested(); }

}  // namespace

GpuMeasurement run_cuda_probe(double max_transfer_bytes, int repetitions) {
  const cuda_raw::Measurement raw = cuda_raw::run(max_transfer_bytes, repetitions, cancelled);
  const cuda_raw::Device& d = raw.device;
  GpuMeasurement m;
  m.status = d.present ? ProbeStatus::kOk : ProbeStatus::kSkipped;
  m.reason = d.reason;
  m.name = d.name;
  m.compute_major = d.compute_major;
  m.compute_minor = d.compute_minor;
  m.total_bytes = d.total_bytes;
  m.free_bytes = d.free_bytes;
  m.pci_bus = d.pci_bus;
  m.pci_device = d.pci_device;
  m.theoretical_bandwidth_bytes_per_s = d.theoretical_bandwidth_bytes_per_s;
  for (const auto& t : raw.transfers)
    m.transfers.push_back({t.direction, t.pinned, t.bytes, summarize_samples(t.gbs)});
  if (!raw.device_read_gbs.empty()) m.device_read_gbs = summarize_samples(raw.device_read_gbs);
  m.small_transfer_latency_us = raw.small_transfer_latency_us;
  return m;
}

}  // namespace hwplan::probes
