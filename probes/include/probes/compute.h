#pragma once
// Peak arithmetic rates: FP32 FMA, INT8 dot products (AVX-512 VNNI) and BF16 dot products
// (AVX-512 BF16), each where this CPU has the instructions (runtime detection).

#include <cstdint>

#include "probes/measurement.h"

namespace hwplan::probes {

/// Runs `kind` (fp32_fma, int8_dot, bf16_dot) on `threads` pinned threads, `repetitions` timed
/// runs of about `seconds_per_run` each. Skipped (with the reason) when the CPU lacks the ISA.
ComputeResult measure_compute(const char* kind, int64_t threads, int64_t repetitions,
                              double seconds_per_run);

}  // namespace hwplan::probes
