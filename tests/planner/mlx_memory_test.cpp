#include "planner/mlx_memory.h"

#include <gtest/gtest.h>

#include "common/units.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;
using testing::quant;

// A Mac written out here: 48 GiB, 36 GiB working set by default, 40 GiB raised, 6 GiB for macOS.
HardwareSpec mac48() {
  HardwareSpec hw;
  hw.id = "mac48";
  hw.kind = MemoryKind::kUnified;
  hw.backend = Backend::kMetal;
  hw.memory_bytes = gib_to_bytes(48);
  hw.gpu_memory_limit_bytes = gib_to_bytes(36);
  hw.gpu_memory_limit_raised_bytes = gib_to_bytes(40);
  hw.host_memory_bytes = hw.memory_bytes;
  hw.host_reserved_bytes = gib_to_bytes(6);
  return hw;
}

Workload ctx(int64_t tokens) {
  Workload w;
  w.context_tokens = tokens;
  return w;
}

// Llama 3.1 8B at 8192 tokens: KV 8192 x 32 layers x 2 (K, V) x 8 heads x 128 x 2 bytes
// = 1,073,741,824 B; a 2048-token prefill chunk: 2048 x (4 x 4096 + 3 x 14336) x 2 = 243,269,632 B.
TEST(MlxMemory, WeightsKvAndOnePromptChunk) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("mlx-4bit"));
  const auto x = mlx_memory(m, weights, mac48(), ctx(8192));
  EXPECT_DOUBLE_EQ(x.kv_bytes, 1073741824.0);
  EXPECT_DOUBLE_EQ(x.activation_bytes, 243269632.0);
  EXPECT_DOUBLE_EQ(x.total_bytes, total_weight_bytes(weights) + 1073741824.0 + 243269632.0);
  EXPECT_EQ(x.verdict, MlxVerdict::kFits);
  EXPECT_EQ(mlx_command("mlx-community/Llama-3.1-8B-Instruct-4bit", "", x, mac48(), ctx(8192)),
            "mlx_lm.server --model mlx-community/Llama-3.1-8B-Instruct-4bit --max-kv-size 8192");
  // From the published checkpoint: converted with the format's own flags first.
  EXPECT_EQ(mlx_command("meta-llama/Llama-3.1-8B-Instruct", quant("mlx-4bit").convert_args, x,
                        mac48(), ctx(8192)),
            "mlx_lm.convert --hf-path meta-llama/Llama-3.1-8B-Instruct -q --q-bits 4 "
            "--q-group-size 64 --mlx-path mlx-model && mlx_lm.server --model mlx-model "
            "--max-kv-size 8192");
  // A quantized --kv-type does not change MLX's 16-bit cache.
  Workload q8 = ctx(8192);
  q8.kv_cache = {"Q8_0", 34.0 / 32.0};
  EXPECT_DOUBLE_EQ(mlx_memory(m, weights, mac48(), q8).kv_bytes, 1073741824.0);
}

// Sharded over Macs (exo, MLX distributed): each of 4 holds a quarter of the weights and of the
// 1 GiB cache (268,435,456 B) and a whole prompt chunk; the verdict is one Mac's.
TEST(MlxMemory, EachMacOfAClusterHoldsItsShare) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("mlx-4bit"));
  MlxOptions four;
  four.nodes = 4;
  const auto x = mlx_memory(m, weights, mac48(), ctx(8192), four);
  EXPECT_DOUBLE_EQ(x.kv_bytes, 268435456.0);
  EXPECT_DOUBLE_EQ(x.weights_bytes, total_weight_bytes(weights) / 4);
  EXPECT_DOUBLE_EQ(x.activation_bytes, 243269632.0);
  MlxOptions none;
  none.nodes = 0;
  error_of([&] { mlx_memory(m, weights, mac48(), ctx(8192), none); }, ErrorKind::kInput);
}

// The verdict steps with the size: the default working set, the raised limit, RAM (paging), none.
TEST(MlxMemory, VerdictByLimit) {
  const auto& m = model("llama-3.1-70b");
  // 70B at 3.5 bpw: about 29 GiB of weights, fits 36 GiB with a short context.
  EXPECT_EQ(mlx_memory(m, build_inventory(m, quant("mlx-3bit")), mac48(), ctx(4096)).verdict,
            MlxVerdict::kFits);
  // At 4.5 bpw, about 37.5 GiB: beyond 36, within 40 once raised.
  const auto raise = mlx_memory(m, build_inventory(m, quant("mlx-4bit")), mac48(), ctx(2048));
  EXPECT_EQ(raise.verdict, MlxVerdict::kRaiseLimit) << raise.reason;
  EXPECT_NE(raise.reason.find("sysctl iogpu.wired_limit_mb="), std::string::npos) << raise.reason;
  EXPECT_EQ(
      mlx_command("r", "", raise, mac48(), ctx(2048)).rfind("sudo sysctl iogpu.wired_limit_mb=", 0),
      0u);
  // At 5 bpw (group 32), about 41.6 GiB: beyond the raised limit, within the 42 GiB macOS leaves.
  const auto pages = mlx_memory(m, build_inventory(m, quant("mlx-4bit-g32")), mac48(), ctx(256));
  EXPECT_EQ(pages.verdict, MlxVerdict::kPages) << pages.reason;
  EXPECT_EQ(mlx_memory(m, build_inventory(m, quant("mlx-8bit")), mac48(), ctx(2048)).verdict,
            MlxVerdict::kNoFit);
  HardwareSpec cuda = mac48();
  cuda.backend = Backend::kCuda;
  EXPECT_EQ(error_of([&] { mlx_memory(m, build_inventory(m, quant("mlx-4bit")), cuda, ctx(512)); }),
            "mlx: mac48 is not an Apple (Metal) machine");
}

}  // namespace
}  // namespace hwplan::planner
