#pragma once
// Owner of weight memory the kernels allocate themselves (NUMA-local copies, synthetic models):
// 64-byte aligned blocks, freed together when the last LlamaWeights sharing them goes away.

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "common/error.h"

namespace hwplan::kernels::detail {

class AlignedBlocks {
 public:
  /// A new block of at least `bytes` (rounded up to 64). Error{kResource} naming `what` when the
  /// allocation fails.
  uint8_t* allocate(int64_t bytes, const char* what) {
    const auto rounded = static_cast<size_t>((bytes + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
    if (p == nullptr) {
      throw Error(ErrorKind::kResource, fmt::format("out of memory for {} B of {}", bytes, what));
    }
    blocks_.emplace_back(p);
    return static_cast<uint8_t*>(p);
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<void, Free>> blocks_;
};

}  // namespace hwplan::kernels::detail
