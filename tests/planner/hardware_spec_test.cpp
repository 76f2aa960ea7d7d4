#include "planner/hardware_spec.h"

#include <gtest/gtest.h>

#include "common/units.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;

nlohmann::json discrete_json() {
  return nlohmann::json::parse(R"({
    "schema_version": 1, "id": "card", "name": "A card", "kind": "discrete", "backend": "cuda",
    "gpu_count": 1, "memory_gib": 24, "bandwidth_gbs": 1008, "fp16_tflops": 165.2,
    "host_memory_gib": 64, "host_bandwidth_gbs": 89.6, "bus_gbs": 31.5, "sources": []})");
}

TEST(HardwareSpec, ParsesUnitsIntoBaseUnits) {
  const auto hw = hardware_from_json(discrete_json(), "card.json");
  EXPECT_DOUBLE_EQ(hw.memory_bytes, 24.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(hw.bandwidth_bytes_per_s, 1.008e12);
  EXPECT_DOUBLE_EQ(hw.fp16_flop_per_s, 1.652e14);
  EXPECT_DOUBLE_EQ(usable_gpu_bytes(hw), gib_to_bytes(24));
  EXPECT_DOUBLE_EQ(usable_host_bytes(hw), gib_to_bytes(64));
}

TEST(HardwareSpec, BadValuesNameFilePointerAndProblem) {
  auto json = discrete_json();
  json["bandwidth_gbs"] = -1;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "profiles/hardware/rtx-4090.json"); }),
            "profiles/hardware/rtx-4090.json: /bandwidth_gbs: must be > 0, got -1");
  json = discrete_json();
  json["memory_gib"] = "24";
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "x.json"); }),
            "x.json: /memory_gib: expected a number, got string \"24\"");
  json = discrete_json();
  json["bandwith_gbs"] = 1;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "x.json"); }),
            "x.json: /bandwith_gbs: unknown field (misspelled?)");
  json = discrete_json();
  json.erase("bus_gbs");
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "x.json"); }),
            "x.json: /bus_gbs: missing required field");
  json = discrete_json();
  json["kind"] = "hybrid";
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "x.json"); }),
            "x.json: /kind: must be one of unified, discrete, got \"hybrid\"");
}

nlohmann::json mixed_json() {
  auto json = discrete_json();
  json.erase("memory_gib");
  json.erase("bandwidth_gbs");
  json.erase("fp16_tflops");
  json["gpu_count"] = 2;
  json["gpu_memory_reserved_gib"] = 0.5;
  json["gpus"] = nlohmann::json::parse(R"([
    {"name": "RTX 5090", "memory_gib": 32, "bandwidth_gbs": 1792, "fp16_tflops": 419},
    {"name": "RTX 4090", "memory_gib": 24, "bandwidth_gbs": 1008, "fp16_tflops": 330.3,
     "gpu_memory_reserved_gib": 1}])");
  return json;
}

// Each GPU of a mixed machine has its own figures; what one does not state comes from the top
// level; the top level's per-GPU fields hold GPU 0's; written and read back it is the same.
TEST(HardwareSpec, MixedGpusCarryTheirOwnFigures) {
  const auto hw = hardware_from_json(mixed_json(), "mixed.json");
  ASSERT_TRUE(mixed_gpus(hw));
  EXPECT_EQ(gpu_list_text(hw), "RTX 5090 + RTX 4090");
  EXPECT_DOUBLE_EQ(gpu_spec(hw, 1).bandwidth_bytes_per_s, 1.008e12);
  EXPECT_DOUBLE_EQ(usable_gpu_bytes_of(hw, 0), gib_to_bytes(31.5));
  EXPECT_DOUBLE_EQ(usable_gpu_bytes_of(hw, 1), gib_to_bytes(23));
  EXPECT_DOUBLE_EQ(gpu_spec(hw, 1).bus_bytes_per_s, 31.5e9);
  EXPECT_DOUBLE_EQ(hw.memory_bytes, gib_to_bytes(32));
  EXPECT_EQ(hardware_from_json(hardware_to_json(hw), "again.json"), hw);
}

TEST(HardwareSpec, MixedGpusBadInputNamesTheField) {
  auto json = mixed_json();
  json["gpu_count"] = 3;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "m.json"); }),
            "m.json: /gpus: lists 2 GPU(s) but gpu_count is 3");
  json = mixed_json();
  json["memory_gib"] = 24;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "m.json"); }),
            "m.json: /memory_gib: a machine with a gpus list states each GPU's figures there, not "
            "at the top");
  json = mixed_json();
  json["gpus"][1]["gpu_memory_reserved_gib"] = 30;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "m.json"); }),
            "m.json: /gpus/1/gpu_memory_reserved_gib: must be less than memory_gib");
  json = mixed_json();
  json["gpus"][0].erase("bandwidth_gbs");
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "m.json"); }),
            "m.json: /gpus/0/bandwidth_gbs: missing required field");
}

// `--hw a+b`: the GPUs of both in the first one's host; unified machines and two backends are
// refused by name.
TEST(HardwareSpec, CombineGpusOfSeveralProfiles) {
  const auto a = hardware_from_json(discrete_json(), "a.json");
  auto b_json = discrete_json();
  b_json["id"] = "big";
  b_json["gpu_count"] = 2;
  b_json["memory_gib"] = 48;
  b_json["power_idle_w"] = 100;
  b_json["power_load_w"] = 900;
  const auto b = hardware_from_json(b_json, "b.json");
  const auto hw = combine_gpus({a, b});
  EXPECT_EQ(hw.id, "card+big");
  EXPECT_EQ(hw.gpu_count, 3);
  EXPECT_EQ(gpu_list_text(hw), "card + big + big");
  EXPECT_DOUBLE_EQ(usable_gpu_bytes_of(hw, 2), gib_to_bytes(48));
  EXPECT_DOUBLE_EQ(hw.host_memory_bytes, a.host_memory_bytes);
  EXPECT_DOUBLE_EQ(hw.power_load_w, 800);  // the second machine's cards above its idle
  EXPECT_FALSE(hw.price_usd.has_value());
  auto mac = nlohmann::json::parse(R"({
    "schema_version": 1, "id": "mac", "name": "Mac", "kind": "unified", "backend": "metal",
    "gpu_count": 1, "memory_gib": 64, "bandwidth_gbs": 400, "fp16_tflops": 30, "sources": []})");
  EXPECT_EQ(error_of([&] {
              combine_gpus({a, hardware_from_json(mac, "mac.json")});
            }),
            "mac: a unified-memory machine; only discrete GPUs can share a host");
  b_json["backend"] = "rocm";
  EXPECT_EQ(error_of([&] {
              combine_gpus({a, hardware_from_json(b_json, "b.json")});
            }),
            "card (cuda) and big (rocm): llama.cpp runs one GPU backend per process; use two "
            "profiles of one backend (e.g. both vulkan)");
}

// A price broken into parts is their sum; a sum that disagrees names both numbers.
TEST(HardwareSpec, PriceIsTheSumOfItsParts) {
  auto json = discrete_json();
  json["price_usd"] = 2097;
  json["price_parts"] = nlohmann::json::parse(
      R"([{"part": "card", "usd": 1599}, {"part": "desktop", "usd": 498, "note": "estimate"}])");
  const auto hw = hardware_from_json(json, "card.json");
  ASSERT_EQ(hw.price_parts.size(), 2u);
  EXPECT_EQ(hw.price_parts[1].part, "desktop");
  EXPECT_DOUBLE_EQ(hw.price_parts[0].usd + hw.price_parts[1].usd, *hw.price_usd);
  EXPECT_EQ(hardware_from_json(hardware_to_json(hw), "again.json"), hw);
  json["price_usd"] = 1599;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "card.json"); }),
            "card.json: /price_usd: must be the sum of price_parts (2097), got 1599");
  json["price_parts"][0]["usd"] = -5;
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "card.json"); }),
            "card.json: /price_parts/0/usd: must be > 0, got -5");
  json["price_parts"] = nlohmann::json::array();
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "card.json"); }),
            "card.json: /price_parts: must list at least one part");
  // --hw-spec price_usd=... replaces the breakdown rather than contradicting it.
  json["price_parts"] = nlohmann::json::parse(R"([{"part": "card", "usd": 1599}])");
  const auto priced = apply_hardware_overrides(json, "price_usd=1800", "--hw-spec");
  EXPECT_EQ(*priced.price_usd, 1800);
  EXPECT_TRUE(priced.price_parts.empty());
}

// Machines that are not ordinary ones on sale say so; anything else is an error naming the field.
TEST(HardwareSpec, StatusMarksEstimatesAndAnnouncements) {
  auto json = discrete_json();
  EXPECT_EQ(hardware_from_json(json, "card.json").status, "");
  json["status"] = "announced";
  EXPECT_EQ(hardware_from_json(json, "card.json").status, "announced");
  json["status"] = "rumoured";
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "card.json"); }),
            "card.json: /status: must be one of estimate, announced, not sold, got \"rumoured\"");
  EXPECT_EQ(find_hardware(testing::db(), "m5-max-128").status, "estimate");
}

TEST(HardwareSpec, InconsistentUnifiedLimitsAreRejected) {
  auto json = nlohmann::json::parse(R"({"schema_version": 1, "id": "m", "name": "m",
    "kind": "unified", "backend": "metal", "gpu_count": 1, "memory_gib": 64,
    "bandwidth_gbs": 273, "fp16_tflops": 9, "gpu_memory_limit_gib": 80})");
  EXPECT_EQ(error_of([&] { hardware_from_json(json, "m.json"); }),
            "m.json: /gpu_memory_limit_gib: 80 GiB exceeds memory_gib (64 GiB)");
  json.erase("gpu_memory_limit_gib");
  // No limit given: macOS's default, 3/4 of RAM above 36 GB.
  EXPECT_DOUBLE_EQ(usable_gpu_bytes(hardware_from_json(json, "m.json")), gib_to_bytes(48));
}

TEST(HardwareSpec, OverridesAreValidatedLikeFiles) {
  const auto hw = apply_hardware_overrides(discrete_json(), "bus_gbs=16, gpu_count=2", "--hw-spec");
  EXPECT_DOUBLE_EQ(hw.bus_bytes_per_s, 16e9);
  EXPECT_EQ(hw.gpu_count, 2);
  EXPECT_EQ(
      error_of([&] { apply_hardware_overrides(discrete_json(), "memory_gib=-4", "--hw-spec"); }),
      "--hw-spec: /memory_gib: must be > 0, got -4");
  EXPECT_EQ(error_of([&] { apply_hardware_overrides(discrete_json(), "memory_gib", "--hw-spec"); },
                     ErrorKind::kUsage),
            "--hw-spec: \"memory_gib\" is not key=value (e.g. memory_gib=128)");
  // Counts that are not whole numbers reach the profile's check as given, neither truncated (2.5
  // read as 2) nor overflowed (1e30 as the lowest int64).
  EXPECT_EQ(
      error_of([&] { apply_hardware_overrides(discrete_json(), "gpu_count=2.5", "--hw-spec"); }),
      "--hw-spec: /gpu_count: expected an integer, got number 2.5");
  EXPECT_EQ(
      error_of([&] { apply_hardware_overrides(discrete_json(), "gpu_count=1e30", "--hw-spec"); }),
      "--hw-spec: /gpu_count: expected an integer, got number 1e+30");
}

TEST(HardwareSpec, InlineWhatIfMachine) {
  const auto hw = apply_hardware_overrides(
      nullptr, "kind=unified,memory_gib=128,bandwidth_gbs=256,fp16_tflops=59", "--hw-spec");
  EXPECT_EQ(hw.kind, MemoryKind::kUnified);
  EXPECT_DOUBLE_EQ(hw.bandwidth_bytes_per_s, 256e9);
  EXPECT_DOUBLE_EQ(usable_gpu_bytes(hw), gib_to_bytes(96));
  EXPECT_NE(hw.notes.find("assumed"), std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_hardware_overrides(nullptr, "memory_gib=128", "--hw-spec");
            }).find("/kind: missing required field"),
            std::string::npos);
}

TEST(HardwareSpec, EveryBundledProfileRoundTrips) {
  for (const auto& hw : testing::db().hardware) {
    const auto again = hardware_from_json(hardware_to_json(hw), hw.id);
    EXPECT_EQ(again, hw) << hw.id;
  }
}

}  // namespace
}  // namespace hwplan::planner
