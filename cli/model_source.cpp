#include "model_source.h"

#include <filesystem>

#include "common/error.h"
#include "common/json_util.h"
#include "formats/model_stores.h"
#include "planner/gguf_model.h"
#include "planner/safetensors_model.h"

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

ModelSource source_from_stored(const planner::ProfileDb& db, const formats::StoredModel& stored) {
  // Its GGUF blob or checkpoint folder, named as the store names it.
  ModelSource source =
      stored.format == "GGUF" ? source_from_gguf(stored.path) : resolve_model(db, stored.path);
  source.spec.id = stored.name;
  source.spec.name = stored.name;
  return source;
}

ModelSource resolve_model(const planner::ProfileDb& db, const std::string& name) {
  if (formats::is_store_reference(name)) {
    return source_from_stored(db,
                              formats::resolve_stored_model(name, formats::default_store_roots()));
  }
  fs::path path(name);
  if (path.extension() == ".gguf") return source_from_gguf(name);
  std::error_code error;
  // A downloaded model folder: its config.json.
  if (fs::is_directory(path, error) && fs::exists(path / "config.json", error))
    path /= "config.json";
  // Anything else that exists is read as a file: a directory or FIFO gets "must be a regular file".
  if (fs::exists(path, error)) {
    ModelSource source;
    const auto config = load_json_file(path.string());
    source.spec = planner::model_from_hf_config(config, path.string());
    // Name a config.json after its folder (models are downloaded as <org>/<model>/config.json).
    const auto folder = fs::absolute(path).parent_path().filename().string();
    source.spec.id =
        path.filename() == "config.json" && !folder.empty() ? folder : path.stem().string();
    source.spec.name = source.spec.id;
    source.origin = path.string();
    // The checkpoint beside it: exact bytes from each safetensors header (never the weights).
    if (path.filename() == "config.json") {
      const auto files = planner::safetensors_files(fs::absolute(path).parent_path().string());
      if (!files.empty()) {
        std::vector<formats::SafetensorsHeader> headers;
        headers.reserve(files.size());
        for (const auto& file : files) headers.push_back(formats::read_safetensors_header(file));
        const auto bits = planner::quantization_bits(config);
        source.exact_weights =
            planner::inventory_from_safetensors(headers, source.spec.n_layers, bits);
        source.safetensors_file_type = planner::safetensors_file_type(headers, bits);
      }
    }
    return source;
  }
  if (name.find('/') != std::string::npos) throw_input("{}: no such file", name);
  ModelSource source;
  source.spec = planner::find_model(db, name).spec;
  source.origin = "bundled";
  return source;
}

}  // namespace hwplan::cli
