#include "model_source.h"

#include <filesystem>

#include "common/error.h"
#include "common/json_util.h"
#include "planner/gguf_model.h"

namespace hwplan::cli {

namespace fs = std::filesystem;

ModelSource source_from_gguf(const std::string& path) {
  auto gguf = planner::model_from_gguf(path);
  ModelSource source;
  source.spec = std::move(gguf.spec);
  source.exact_weights = std::move(gguf.weights);
  source.origin = path;
  source.gguf_file_type = std::move(gguf.file_type);
  return source;
}

ModelSource resolve_model(const planner::ProfileDb& db, const std::string& name) {
  fs::path path(name);
  if (path.extension() == ".gguf") return source_from_gguf(name);
  std::error_code error;
  // A downloaded model folder: its config.json.
  if (fs::is_directory(path, error) && fs::exists(path / "config.json", error))
    path /= "config.json";
  // Anything else that exists is read as a file: a directory or FIFO gets "must be a regular file".
  if (fs::exists(path, error)) {
    ModelSource source;
    source.spec = planner::model_from_hf_config(load_json_file(path.string()), path.string());
    // Name a config.json after its folder (models are downloaded as <org>/<model>/config.json).
    const auto folder = fs::absolute(path).parent_path().filename().string();
    source.spec.id =
        path.filename() == "config.json" && !folder.empty() ? folder : path.stem().string();
    source.spec.name = source.spec.id;
    source.origin = path.string();
    return source;
  }
  if (name.find('/') != std::string::npos) throw_input("{}: no such file", name);
  ModelSource source;
  source.spec = planner::find_model(db, name).spec;
  source.origin = "bundled";
  return source;
}

}  // namespace hwplan::cli
