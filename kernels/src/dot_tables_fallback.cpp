// The SIMD tables of the ISAs this build was not compiled for report themselves as absent
// (kernels/CMakeLists.txt defines HWPLAN_X86_KERNELS or HWPLAN_NEON_KERNELS by target processor).
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {

#if !defined(HWPLAN_X86_KERNELS)
const DotTable* dot_table_avx2() { return nullptr; }
const DotTable* dot_table_avx512() { return nullptr; }
#endif
#if !defined(HWPLAN_NEON_KERNELS)
const DotTable* dot_table_neon() { return nullptr; }
#endif

}  // namespace hwplan::kernels::detail
