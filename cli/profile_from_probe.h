#pragma once
// The one place where probe results reach the planner (STYLE.md): a MachineMeasurement becomes a
// hardware profile in the schema the planner loads, with the raw measurements under "measured".

#include <nlohmann/json.hpp>
#include <string>

#include "planner/hardware_spec.h"
#include "planner/profiles.h"
#include "probes/measurement.h"

namespace hwplan::cli {

/// Profile JSON for a measurement (validated by loading it back with the planner's loader). With
/// a measured NVIDIA GPU it is a discrete profile: VRAM, the device read rate as bandwidth, the
/// pinned host-to-device rate as the bus, the CPU's figures as the host; tensor FLOP/s are not
/// measured, so they come from a bundled single-GPU profile whose name holds the GPU's (in `db`),
/// said so in the notes.
nlohmann::json profile_from_probe(const probes::MachineMeasurement& m, const std::string& id,
                                  const planner::ProfileDb* db = nullptr);

/// The best pinned host-to-device rate at the largest size measured (GB/s): what weights streamed
/// over the bus get; 0 when no pinned transfer was measured.
double pinned_h2d_gbs(const probes::GpuMeasurement& gpu);

/// A GPU measurement as `hwplan probe` writes it under measured.gpu, or a file of
/// scripts/gpu_measure.sh (the same object under "gpu"). Malformed input: Error{kInput} naming
/// the file and field.
probes::GpuMeasurement gpu_measurement_from_json(const nlohmann::json& json,
                                                 const std::string& origin);

/// Best all-thread (or single-thread) rate of a bandwidth kernel in GB/s; 0 when not measured.
double best_gbs(const probes::MachineMeasurement& m, const std::string& kernel, bool all_threads);

/// Best all-thread rate of a compute kind in TFLOP/s (TOPS); 0 when skipped.
double best_tops(const probes::MachineMeasurement& m, const std::string& kind);

/// Runs a quick probe and caches it ($XDG_CACHE_HOME/hwplan/local.json, reused for a day);
/// returns the cached profile's path. Progress goes to stderr.
std::string local_profile_path();

}  // namespace hwplan::cli
