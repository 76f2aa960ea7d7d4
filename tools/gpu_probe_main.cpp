// A dependency-free GPU probe for machines that have CUDA but not the project's Debian packages
// (scripts/gpu_measure.sh builds it with nvcc alone): runs the CUDA probes of probes/cuda and
// prints their results as JSON in the shape `hwplan probe` writes under measured.gpu.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../probes/cuda/src/cuda_raw.h"

namespace {

bool never_cancelled() { return false; }

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

double best(const std::vector<double>& v) {
  double b = 0;
  for (double x : v) b = x > b ? x : b;
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const double max_bytes = argc > 1 ? std::atof(argv[1]) : double(1u << 30);
  const auto m = hwplan::probes::cuda_raw::run(max_bytes, 10, never_cancelled);
  const auto& d = m.device;
  if (!d.present) {
    std::printf("{\"status\": \"skipped\", \"reason\": %s}\n", quoted(d.reason).c_str());
    return 3;
  }
  const double gib = 1024.0 * 1024.0 * 1024.0;
  std::printf("{\n  \"status\": \"ok\",\n  \"name\": %s,\n  \"compute_capability\": \"%d.%d\",\n",
              quoted(d.name).c_str(), d.compute_major, d.compute_minor);
  std::printf(
      "  \"total_gib\": %.4f,\n  \"free_gib\": %.4f,\n  \"theoretical_bandwidth_gbs\": %.2f,\n",
      d.total_bytes / gib, d.free_bytes / gib, d.theoretical_bandwidth_bytes_per_s / 1e9);
  std::printf(
      "  \"device_read_gbs\": %.2f,\n  \"small_transfer_latency_us\": %.3f,\n  \"transfers\": [\n",
      best(m.device_read_gbs), m.small_transfer_latency_us);
  for (size_t i = 0; i < m.transfers.size(); ++i) {
    const auto& t = m.transfers[i];
    std::printf(
        "    {\"direction\": \"%s\", \"pinned\": %s, \"bytes\": %.0f, \"best_gbs\": %.3f, "
        "\"samples_gbs\": [",
        t.direction.c_str(), t.pinned ? "true" : "false", t.bytes, best(t.gbs));
    for (size_t k = 0; k < t.gbs.size(); ++k) std::printf("%s%.3f", k ? ", " : "", t.gbs[k]);
    std::printf("]}%s\n", i + 1 < m.transfers.size() ? "," : "");
  }
  std::printf("  ]\n}\n");
  return 0;
}
