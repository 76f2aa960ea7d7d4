#include "formats/model_stores.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text_util.h"
#include "formats/gguf.h"

namespace hwplan::formats {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOllamaRegistry = "registry.ollama.ai";
constexpr const char* kOllamaModelLayer = "application/vnd.ollama.image.model";
constexpr size_t kMaxManifestBytes = size_t{1} << 20;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool is_dir(const fs::path& p) {
  std::error_code error;
  return fs::is_directory(p, error);
}

// Size of a file, following symlinks (the Hugging Face cache links snapshots to blobs).
// Error{kInput} naming it for a broken or looping link.
uint64_t size_of(const fs::path& p) {
  std::error_code error;
  const auto size = fs::file_size(p, error);
  if (error) throw_input("{}: cannot be read ({})", p.string(), error.message());
  return size;
}

// A GGUF that is a model of its own: not a vision projector, not a later shard of a set.
bool is_model_gguf(const fs::path& p) {
  const std::string name = p.filename().string();
  if (!ends_with(name, ".gguf") || name.rfind("mmproj", 0) == 0) return false;
  const auto shard = gguf_shard_name(p.string());
  return !shard || shard->shard == 1;
}

// Bytes of a GGUF model: the file, or every shard of its set.
uint64_t gguf_bytes_on_disk(const fs::path& p) {
  const auto shard = gguf_shard_name(p.string());
  if (!shard) return size_of(p);
  uint64_t total = 0;
  for (int64_t i = 1; i <= shard->count; ++i)
    total += size_of(gguf_shard_path(shard->prefix, i, shard->count));
  return total;
}

// The GGUF models directly in `folder`, in name order.
std::vector<fs::path> gguf_models_in(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (is_model_gguf(entry.path())) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- Ollama ----------------------------------------------------------------------------------

// The blob a manifest names as its model layer. Error{kInput} naming the manifest otherwise.
StoredModel ollama_model(const fs::path& root, const fs::path& manifest, const std::string& name) {
  const auto json = nlohmann::json::parse(
      read_input_file(manifest.string(), "Ollama manifest", kMaxManifestBytes), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("layers") ||
      !json["layers"].is_array()) {
    throw_input("{}: not an Ollama manifest (needs a \"layers\" array)", manifest.string());
  }
  for (const auto& layer : json["layers"]) {
    if (!layer.is_object() || layer.value("mediaType", "") != kOllamaModelLayer) continue;
    const std::string digest = layer.value("digest", "");
    if (digest.rfind("sha256:", 0) != 0 || digest.size() != 71 ||
        digest.find_first_not_of("0123456789abcdef", 7) != std::string::npos) {
      throw_input("{}: model layer digest \"{}\" is not sha256:<64 hex digits>", manifest.string(),
                  printable(digest));
    }
    const fs::path blob = root / "blobs" / ("sha256-" + digest.substr(7));
    std::error_code error;
    if (!fs::exists(blob, error))
      throw_input("{}: names blob {}, which is missing", manifest.string(), blob.string());
    return {"ollama", name, blob.string(), "GGUF", size_of(blob)};
  }
  throw_input("{}: no model layer ({})", manifest.string(), kOllamaModelLayer);
}

// "llama3.1:70b" -> manifests/registry.ollama.ai/library/llama3.1/70b; "me/m" -> .../me/m/latest.
fs::path ollama_manifest_path(const fs::path& root, const std::string& reference) {
  std::string name = reference;
  std::string tag = "latest";
  const auto colon = name.rfind(':');
  if (colon != std::string::npos && name.find('/', colon) == std::string::npos) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  auto parts = split(name, '/');
  if (parts.size() == 1) parts.insert(parts.begin(), "library");
  if (parts.size() == 2) parts.insert(parts.begin(), kOllamaRegistry);
  fs::path p = root / "manifests";
  for (const auto& part : parts) {
    if (part.empty() || part == "." || part == "..")
      throw_input("ollama:{}: not a model name", printable(reference));
    p /= part;
  }
  if (tag.empty() || tag == "." || tag == "..")
    throw_input("ollama:{}: not a model tag", printable(reference));
  return p / tag;
}

// The name `ollama:` takes for a manifest at registry/namespace/model/tag.
std::string ollama_name(const fs::path& relative) {
  std::vector<std::string> parts;
  for (const auto& part : relative) parts.push_back(part.string());
  if (parts.size() != 4) return relative.string();
  const std::string model = parts[2] + ":" + parts[3];
  if (parts[0] == kOllamaRegistry) return parts[1] == "library" ? model : parts[1] + "/" + model;
  return parts[0] + "/" + parts[1] + "/" + model;
}

void scan_ollama(const fs::path& root, std::vector<StoredModel>& out,
                 std::vector<std::string>& problems) {
  const fs::path manifests = root / "manifests";
  if (!is_dir(manifests)) return;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(manifests, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it.depth() > 3) {
      it.disable_recursion_pending();
      continue;
    }
    std::error_code kind_error;
    if (it.depth() != 3 || !it->is_regular_file(kind_error)) continue;
    try {
      out.push_back(
          ollama_model(root, it->path(), ollama_name(fs::relative(it->path(), manifests))));
    } catch (const Error& e) {
      problems.emplace_back(e.what());
    }
  }
}

// --- LM Studio ---------------------------------------------------------------------------------

void scan_lmstudio(const fs::path& root, std::vector<StoredModel>& out,
                   std::vector<std::string>& problems) {
  if (!is_dir(root)) return;
  std::error_code error;
  for (const auto& publisher : fs::directory_iterator(root, error)) {
    if (!is_dir(publisher.path())) continue;
    std::error_code inner;
    for (const auto& repo : fs::directory_iterator(publisher.path(), inner)) {
      if (!is_dir(repo.path())) continue;
      for (const auto& file : gguf_models_in(repo.path())) {
        try {
          out.push_back({"lmstudio",
                         fmt::format("{}/{}/{}", publisher.path().filename().string(),
                                     repo.path().filename().string(), file.filename().string()),
                         file.string(), "GGUF", gguf_bytes_on_disk(file)});
        } catch (const Error& e) {
          problems.emplace_back(e.what());
        }
      }
    }
  }
}

// --- Hugging Face cache ------------------------------------------------------------------------

// The snapshot refs/main points at, else the only one. Error{kInput} when there is none.
fs::path hf_snapshot(const fs::path& repo_dir) {
  const fs::path ref = repo_dir / "refs" / "main";
  std::error_code error;
  if (fs::exists(ref, error)) {
    const std::string revision = trim(read_input_file(ref.string(), "Hugging Face ref", 256));
    if (revision.find('/') == std::string::npos && !revision.empty() && revision != "..") {
      fs::path snapshot = repo_dir / "snapshots" / revision;
      if (is_dir(snapshot)) return snapshot;
    }
  }
  std::vector<fs::path> snapshots;
  for (const auto& entry : fs::directory_iterator(repo_dir / "snapshots", error)) {
    if (is_dir(entry.path())) snapshots.push_back(entry.path());
  }
  if (snapshots.size() == 1) return snapshots.front();
  throw_input("{}: no snapshot to read ({} snapshots and no usable refs/main)", repo_dir.string(),
              snapshots.size());
}

// "models--Qwen--Qwen3-8B" -> "Qwen/Qwen3-8B".
std::string hf_name(const std::string& folder) {
  std::string rest = folder.substr(std::string("models--").size());
  const auto sep = rest.find("--");
  return sep == std::string::npos ? rest : rest.substr(0, sep) + "/" + rest.substr(sep + 2);
}

std::vector<StoredModel> hf_models(const fs::path& repo_dir) {
  const std::string name = hf_name(repo_dir.filename().string());
  const fs::path snapshot = hf_snapshot(repo_dir);
  std::vector<StoredModel> out;
  std::error_code error;
  if (fs::exists(snapshot / "config.json", error)) {
    uint64_t bytes = 0;
    bool weights = false;
    for (const auto& entry : fs::directory_iterator(snapshot, error)) {
      if (entry.path().extension() == ".safetensors") {
        bytes += size_of(entry.path());
        weights = true;
      }
    }
    if (weights) out.push_back({"hf", name, snapshot.string(), "safetensors", bytes});
  }
  for (const auto& file : gguf_models_in(snapshot)) {
    out.push_back({"hf", name + "/" + file.filename().string(), file.string(), "GGUF",
                   gguf_bytes_on_disk(file)});
  }
  return out;
}

void scan_hf(const fs::path& root, std::vector<StoredModel>& out,
             std::vector<std::string>& problems) {
  if (!is_dir(root)) return;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    if (entry.path().filename().string().rfind("models--", 0) != 0 || !is_dir(entry.path()))
      continue;
    try {
      for (auto& m : hf_models(entry.path())) out.push_back(std::move(m));
    } catch (const Error& e) {
      problems.emplace_back(e.what());
    }
  }
}

// A model among `found` named `wanted` (or the only one when `wanted` names a folder).
StoredModel pick(const std::vector<StoredModel>& found, const std::string& folder_name,
                 const std::string& reference, const std::string& where) {
  for (const auto& m : found) {
    if (m.name == reference) return m;
  }
  std::vector<std::string> names;
  for (const auto& m : found) {
    if (m.name == folder_name || m.name.rfind(folder_name + "/", 0) == 0) names.push_back(m.name);
  }
  if (names.size() == 1) {
    for (const auto& m : found) {
      if (m.name == names.front()) return m;
    }
  }
  if (names.empty()) throw_input("{}: no model {} in {}", reference, folder_name, where);
  throw_input("{}: several models in {}; name one: {}", reference, where, fmt::join(names, ", "));
}

}  // namespace

StoreRoots default_store_roots() {
  StoreRoots roots;
  const std::string home = env("HOME");
  roots.ollama = !env("OLLAMA_MODELS").empty() ? env("OLLAMA_MODELS")
                 : home.empty()                ? ""
                                               : home + "/.ollama/models";
  if (!home.empty()) {
    roots.lmstudio = is_dir(home + "/.lmstudio/models") ? home + "/.lmstudio/models"
                                                        : home + "/.cache/lm-studio/models";
  }
  if (!env("HF_HUB_CACHE").empty()) {
    roots.huggingface = env("HF_HUB_CACHE");
  } else if (!env("HF_HOME").empty()) {
    roots.huggingface = env("HF_HOME") + "/hub";
  } else if (!home.empty()) {
    roots.huggingface = home + "/.cache/huggingface/hub";
  }
  return roots;
}

std::vector<StoredModel> scan_stores(const StoreRoots& roots, std::vector<std::string>& problems) {
  std::vector<StoredModel> out;
  if (!roots.ollama.empty()) scan_ollama(roots.ollama, out, problems);
  if (!roots.lmstudio.empty()) scan_lmstudio(roots.lmstudio, out, problems);
  if (!roots.huggingface.empty()) scan_hf(roots.huggingface, out, problems);
  return out;
}

bool is_store_reference(const std::string& name) {
  return name.rfind("ollama:", 0) == 0 || name.rfind("lmstudio:", 0) == 0 ||
         name.rfind("hf:", 0) == 0;
}

StoredModel resolve_stored_model(const std::string& spec, const StoreRoots& roots) {
  const auto colon = spec.find(':');
  const std::string store = spec.substr(0, colon);
  const std::string reference = spec.substr(colon + 1);
  if (reference.empty()) throw_input("{}: name a model after \"{}:\"", spec, store);
  if (store == "ollama") {
    if (roots.ollama.empty() || !is_dir(roots.ollama))
      throw_input("{}: no Ollama store here (looked in {}; OLLAMA_MODELS sets it)", spec,
                  roots.ollama.empty() ? "$HOME/.ollama/models" : roots.ollama);
    const fs::path manifest = ollama_manifest_path(roots.ollama, reference);
    std::error_code error;
    if (!fs::exists(manifest, error))
      throw_input("{}: not in the Ollama store (no manifest {})", spec, manifest.string());
    return ollama_model(roots.ollama, manifest, reference);
  }
  std::vector<std::string> problems;
  std::vector<StoredModel> found;
  if (store == "lmstudio") {
    if (roots.lmstudio.empty() || !is_dir(roots.lmstudio))
      throw_input("{}: no LM Studio models folder here (looked in {})", spec,
                  roots.lmstudio.empty() ? "$HOME/.lmstudio/models" : roots.lmstudio);
    scan_lmstudio(roots.lmstudio, found, problems);
    return pick(found, reference, reference, roots.lmstudio);
  }
  if (roots.huggingface.empty() || !is_dir(roots.huggingface))
    throw_input("{}: no Hugging Face cache here (looked in {}; HF_HOME or HF_HUB_CACHE set it)",
                spec,
                roots.huggingface.empty() ? "$HOME/.cache/huggingface/hub" : roots.huggingface);
  // "org/repo" or "org/repo/file.gguf": the repo's folder is models--org--repo.
  const auto parts = split(reference, '/');
  if (parts.size() < 2 || parts[0].empty() || parts[1].empty())
    throw_input("{}: name a Hugging Face repository as hf:ORG/REPO[/FILE.gguf]", spec);
  const fs::path repo_dir =
      fs::path(roots.huggingface) / fmt::format("models--{}--{}", parts[0], parts[1]);
  if (!is_dir(repo_dir))
    throw_input("{}: not in the Hugging Face cache (no {}); nothing is downloaded", spec,
                repo_dir.string());
  found = hf_models(repo_dir);
  return pick(found, parts[0] + "/" + parts[1], reference, repo_dir.string());
}

}  // namespace hwplan::formats
