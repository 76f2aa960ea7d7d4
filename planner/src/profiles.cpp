#include "planner/profiles.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/json_util.h"
#include "common/text_util.h"

namespace hwplan::planner {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> json_files(const fs::path& directory) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw_input("{}: profile directory not found", directory.string());
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void check_id_matches_file(const std::string& id, const std::string& file) {
  const auto stem = fs::path(file).stem().string();
  if (id != stem) throw_input(R"({}: /id: "{}" differs from the file name "{}")", file, id, stem);
}

std::vector<Source> sources_of(const nlohmann::json& json) {
  std::vector<Source> sources;
  for (const auto& s : json) {
    sources.push_back({s.value("title", ""), s.value("url", ""), s.value("accessed", "")});
  }
  return sources;
}

}  // namespace

ModelProfile model_profile_from_json(const nlohmann::json& json, const std::string& origin) {
  JsonObject root(json, origin, "");
  root.integer("schema_version", 1, 1);
  ModelProfile profile;
  const std::string id = root.string("id");
  const std::string name = root.string("name");
  const auto& sources = root.array("sources");
  for (size_t i = 0; i < sources.size(); ++i) {
    JsonObject source(sources[i], origin, fmt::format("/sources/{}", i));
    source.string("title");
    source.optional_string("url");
    source.optional_string("accessed");
    source.finish();
  }
  profile.sources = sources_of(sources);
  root.object("config");
  root.finish();
  profile.config = json.at("config");
  // Errors inside config name the pointer below /config.
  profile.spec = model_from_hf_config(profile.config, origin + ": /config");
  profile.spec.id = id;
  profile.spec.name = name;
  return profile;
}

ProfileDb load_profile_db(const std::string& directory) {
  ProfileDb db;
  db.directory = directory;
  const fs::path root(directory);
  for (const auto& file : json_files(root / "hardware")) {
    db.hardware.push_back(hardware_from_json(load_json_file(file), file));
    check_id_matches_file(db.hardware.back().id, file);
  }
  for (const auto& file : json_files(root / "models")) {
    db.models.push_back(model_profile_from_json(load_json_file(file), file));
    check_id_matches_file(db.models.back().spec.id, file);
  }
  const auto quants = (root / "quants.json").string();
  db.quants = quant_catalog_from_json(load_json_file(quants), quants);
  const auto calibration = (root / "calibration.json").string();
  const auto calibration_json = load_json_file(calibration);
  if (!calibration_json.contains("efficiency")) {
    throw_input(
        "{}: /efficiency: missing required field (regenerate with hwplan calibrate --write)",
        calibration);
  }
  db.efficiency = efficiency_table_from_json(calibration_json.at("efficiency"), calibration);
  return db;
}

const HardwareSpec& find_hardware(const ProfileDb& db, const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& hw : db.hardware) {
    if (to_lower(hw.id) == to_lower(id)) return hw;
    ids.push_back(hw.id);
  }
  throw Error(ErrorKind::kInput, unknown_name_message("hardware", id, ids));
}

const ModelProfile& find_model(const ProfileDb& db, const std::string& id) {
  std::vector<std::string> ids;
  for (const auto& model : db.models) {
    if (to_lower(model.spec.id) == to_lower(id)) return model;
    ids.push_back(model.spec.id);
  }
  throw Error(ErrorKind::kInput, unknown_name_message("model", id, ids));
}

std::string hugging_face_repo(const ModelProfile& profile) {
  const std::string host = "huggingface.co/";
  for (const auto& s : profile.sources) {
    const auto at = s.url.find(host);
    if (at == std::string::npos) continue;
    const auto rest = s.url.substr(at + host.size());
    const auto first = rest.find('/');
    const auto second = first == std::string::npos ? first : rest.find('/', first + 1);
    if (second != std::string::npos) return rest.substr(0, second);
  }
  return "";
}

}  // namespace hwplan::planner
