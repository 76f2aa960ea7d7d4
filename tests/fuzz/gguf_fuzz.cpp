// libFuzzer target: arbitrary bytes through the GGUF reader, the planner's metadata-to-model-shape
// reading, and the Llama loader, and, when a
// small model loads, one decode step, so shapes and offsets the reader accepted are exercised by
// the kernels too. Expected failures are hwplan::Error; anything else (a crash, a sanitizer
// report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "formats/gguf.h"
#include "kernels/llama.h"
#include "kernels/llama_context.h"
#include "kernels/thread_pool.h"
#include "planner/gguf_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hwplan::kernels;
  try {
    const hwplan::formats::GgufFile file =
        hwplan::formats::GgufFile::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
    // Metadata to model shape and exact weights (the planner's reading of a GGUF file).
    try {
      (void)hwplan::planner::model_from_gguf(file);
    } catch (const hwplan::Error&) {
    }
    const LlamaWeights weights = llama_from_gguf(file);
    const LlamaShape& s = weights.shape;
    // Only small models: the point is memory safety, not speed.
    if (s.n_layer > 4 || s.n_embd > 1024 || s.n_ff > 4096 || s.n_vocab > 4096 || s.head_dim > 256) {
      return 0;
    }
    static ThreadPool pool(1, /*pin=*/false);
    LlamaContext ctx(weights, pool, 2, best_isa());
    ctx.decode(0);
  } catch (const hwplan::Error&) {
    // A clear refusal is the expected outcome for malformed input.
  }
  return 0;
}
