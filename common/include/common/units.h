#pragma once
// Unit conversions used everywhere in hwplan (DESIGN.md "Units").
// Internally: bytes, bytes/second, FLOP/second, seconds as double. At the edges: GiB (2^30 bytes),
// GB/s (10^9 B/s), TFLOP/s (10^12 FLOP/s). Nothing else in the code base spells these constants.

#include <cstdint>

namespace hwplan {

inline constexpr double kBytesPerKib = 1024.0;
inline constexpr double kBytesPerMib = 1024.0 * 1024.0;
inline constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;
inline constexpr double kBytesPerGb = 1e9;
inline constexpr double kFlopPerTflop = 1e12;
inline constexpr double kBitsPerByte = 8.0;

/// GiB (2^30 bytes) to bytes.
constexpr double gib_to_bytes(double gib) { return gib * kBytesPerGib; }
/// Bytes to GiB (2^30 bytes).
constexpr double bytes_to_gib(double bytes) { return bytes / kBytesPerGib; }
/// MiB (2^20 bytes) to bytes.
constexpr double mib_to_bytes(double mib) { return mib * kBytesPerMib; }
/// Bytes to MiB (2^20 bytes).
constexpr double bytes_to_mib(double bytes) { return bytes / kBytesPerMib; }
/// KiB (2^10 bytes) to bytes.
constexpr double kib_to_bytes(double kib) { return kib * kBytesPerKib; }
/// Bytes to decimal GB (10^9 bytes), the unit model cards and vendors use for file sizes.
constexpr double bytes_to_gb(double bytes) { return bytes / kBytesPerGb; }
/// GB/s (10^9 B/s, never Gbit/s) to bytes per second.
constexpr double gbs_to_bytes_per_s(double gbs) { return gbs * kBytesPerGb; }
/// Bytes per second to GB/s (10^9 B/s).
constexpr double bytes_per_s_to_gbs(double bytes_per_s) { return bytes_per_s / kBytesPerGb; }
/// TFLOP/s to FLOP/s.
constexpr double tflops_to_flop_per_s(double tflops) { return tflops * kFlopPerTflop; }
/// FLOP/s to TFLOP/s.
constexpr double flop_per_s_to_tflops(double flop_per_s) { return flop_per_s / kFlopPerTflop; }
/// Bits per weight times a weight count to bytes.
constexpr double bits_to_bytes(double bits) { return bits / kBitsPerByte; }
/// Bytes to bits.
constexpr double bytes_to_bits(double bytes) { return bytes * kBitsPerByte; }

}  // namespace hwplan
