#pragma once
// The bundled profile database (profiles/): hardware, models, quantizations. Every file is
// validated on load; the first problem is an Error naming file and JSON pointer.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "planner/efficiency.h"
#include "planner/hardware_spec.h"
#include "planner/model_spec.h"
#include "planner/quant_spec.h"

namespace hwplan::planner {

/// A model profile: config.json content plus id, name and sources.
struct ModelProfile {
  ModelSpec spec;
  std::vector<Source> sources;
  nlohmann::json config;  ///< the HF config.json content as stored
};

/// Everything under a profiles directory.
struct ProfileDb {
  std::string directory;
  std::vector<HardwareSpec> hardware;  ///< sorted by id
  std::vector<ModelProfile> models;    ///< sorted by id
  QuantCatalog quants;
  EfficiencyTable efficiency;  ///< from calibration.json (hwplan calibrate --write)
};

/// Parses a model profile file's JSON ({schema_version, id, name, sources, config}).
ModelProfile model_profile_from_json(const nlohmann::json& json, const std::string& origin);

/// Loads `directory`/hardware/*.json, models/*.json, quants.json and calibration.json. Throws
/// Error{kInput} for the first malformed file, and when a file's id differs from its file name.
ProfileDb load_profile_db(const std::string& directory);

/// Finds a hardware profile by id (case-insensitive); Error{kInput} with close names otherwise.
const HardwareSpec& find_hardware(const ProfileDb& db, const std::string& id);
/// Finds a model profile by id (case-insensitive); Error{kInput} with close names otherwise.
const ModelProfile& find_model(const ProfileDb& db, const std::string& id);

/// The Hugging Face repository ("owner/name") the first huggingface.co source of a model profile
/// names, for commands a person can paste; "" when it names none.
std::string hugging_face_repo(const ModelProfile& profile);

}  // namespace hwplan::planner
