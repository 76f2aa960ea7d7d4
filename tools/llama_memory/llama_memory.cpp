// Prints, as one JSON line, the memory llama.cpp itself counts for a GGUF file with the given
// context settings: the weights (llama_model_size, the sum of every tensor's bytes) and, per
// buffer type, model, context (KV cache) and compute buffers (llama_get_memory_breakdown),
// measured with no_alloc (nothing is allocated; the sizes are llama.cpp's own). Built only by
// scripts/llama_conformance.sh against the llama.cpp release it pins; not part of hwplan.
//
// usage: llama_memory MODEL.gguf N_CTX N_SEQ TYPE_K TYPE_V FLASH(0|1) UBATCH [KV_UNIFIED(0|1)]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama-ext.h"
#include "llama.h"

namespace {

ggml_type type_of(const char* name) {
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char* n = ggml_type_name(static_cast<ggml_type>(t));
    if (n != nullptr && std::strcmp(n, name) == 0) return static_cast<ggml_type>(t);
  }
  std::fprintf(stderr, "llama_memory: unknown KV type '%s'\n", name);
  std::exit(2);
}

// llama.cpp's log: errors only, everything with LLAMA_MEMORY_VERBOSE set.
void quiet(ggml_log_level level, const char* text, void*) {
  static const bool verbose = std::getenv("LLAMA_MEMORY_VERBOSE") != nullptr;
  if (verbose || level >= GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(
        stderr,
        "usage: llama_memory MODEL.gguf N_CTX N_SEQ TYPE_K TYPE_V FLASH UBATCH [UNIFIED]\n");
    return 2;
  }
  llama_log_set(quiet, nullptr);
  llama_backend_init();
  llama_model_params mparams = llama_model_default_params();
  mparams.no_alloc = true;
  mparams.load_mode = LLAMA_LOAD_MODE_NONE;  // as llama.cpp's own fitter measures: nothing mapped
  mparams.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(argv[1], mparams);
  if (model == nullptr) {
    std::fprintf(stderr, "llama_memory: cannot load %s\n", argv[1]);
    return 1;
  }
  llama_context_params cparams = llama_context_default_params();
  cparams.n_ctx = static_cast<uint32_t>(std::atoi(argv[2]));
  cparams.n_seq_max = static_cast<uint32_t>(std::atoi(argv[3]));
  cparams.type_k = type_of(argv[4]);
  cparams.type_v = type_of(argv[5]);
  cparams.flash_attn_type =
      std::atoi(argv[6]) != 0 ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
  cparams.n_ubatch = static_cast<uint32_t>(std::atoi(argv[7]));
  cparams.n_batch = std::max<uint32_t>(cparams.n_ubatch, 2048);
  cparams.kv_unified = argc > 8 && std::atoi(argv[8]) != 0;
  cparams.swa_full = false;  // llama-server's default (the library's own default is a full cache)
  llama_context* ctx = llama_init_from_model(model, cparams);
  if (ctx == nullptr) {
    std::fprintf(stderr, "llama_memory: cannot make a context for %s\n", argv[1]);
    return 1;
  }
  size_t model_bytes = 0, context_bytes = 0, compute_bytes = 0;
  std::string buffers;
  for (const auto& [buft, mb] : llama_get_memory_breakdown(ctx)) {
    model_bytes += mb.model;
    context_bytes += mb.context;
    compute_bytes += mb.compute;
    buffers += std::string(buffers.empty() ? "" : ", ") + "\"" + ggml_backend_buft_name(buft) +
               "\": [" + std::to_string(mb.model) + ", " + std::to_string(mb.context) + ", " +
               std::to_string(mb.compute) + "]";
  }
  std::printf(
      "{\"weights_bytes\": %llu, \"model_buffer_bytes\": %zu, \"kv_bytes\": %zu, "
      "\"compute_bytes\": %zu, \"n_ctx\": %u, \"buffers\": {%s}}\n",
      static_cast<unsigned long long>(llama_model_size(model)), model_bytes, context_bytes,
      compute_bytes, llama_n_ctx(ctx), buffers.c_str());
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
