// Builds without x86-64 SIMD kernels report them as absent.
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {

const DotTable* dot_table_avx2() { return nullptr; }
const DotTable* dot_table_avx512() { return nullptr; }

}  // namespace hwplan::kernels::detail
