#pragma once
// Models already on disk in the stores people use, read-only: Ollama (manifests naming GGUF
// blobs), LM Studio (folders of GGUF files) and the Hugging Face cache (snapshot folders of
// config.json with safetensors or GGUF). Nothing is downloaded; names resolve in the local
// stores only.

#include <cstdint>
#include <string>
#include <vector>

namespace hwplan::formats {

/// Where each store keeps its models ("" when it has no folder here).
struct StoreRoots {
  std::string ollama;       ///< $OLLAMA_MODELS, else ~/.ollama/models
  std::string lmstudio;     ///< ~/.lmstudio/models, else ~/.cache/lm-studio/models
  std::string huggingface;  ///< $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
};

/// The roots from the environment and $HOME.
StoreRoots default_store_roots();

/// One model found in a store.
struct StoredModel {
  std::string store;   ///< "ollama", "lmstudio", "hf"
  std::string name;    ///< what follows "store:" in --model: "llama3.1:70b", "Qwen/Qwen3-8B"
  std::string path;    ///< what the planner reads: a GGUF file (a split set's first shard) or a
                       ///< folder holding config.json
  std::string format;  ///< "GGUF" or "safetensors"
  uint64_t bytes = 0;  ///< on disk, every shard and blob counted once
};

/// Every model in the stores (a store without a folder is skipped). Entries that cannot be read
/// (a broken or looping symlink, a manifest naming a missing blob) are left out and described in
/// `problems`.
std::vector<StoredModel> scan_stores(const StoreRoots& roots, std::vector<std::string>& problems);

/// Resolves "ollama:NAME[:TAG]", "lmstudio:PUBLISHER/REPO[/FILE.gguf]" or
/// "hf:ORG/REPO[/FILE.gguf]" in the local stores. Error{kInput} naming the store folder and what
/// is missing (and, where several GGUF files could be meant, listing them).
StoredModel resolve_stored_model(const std::string& spec, const StoreRoots& roots);

/// True for names resolve_stored_model takes ("ollama:...", "lmstudio:...", "hf:...").
bool is_store_reference(const std::string& name);

}  // namespace hwplan::formats
