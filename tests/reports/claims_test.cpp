#include "reports/claims.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "../planner/test_util.h"
#include "reports/claim_resolve.h"

namespace hwplan::reports {
namespace {

using planner::testing::db;

Claim claim(const std::string& kind, const std::string& hardware, const std::string& model,
            const std::string& quant, const std::string& claimed) {
  return {"t1", kind, hardware, model, quant, claimed, "", "", "test"};
}

TEST(Claims, ParsesEveryClaimedForm) {
  auto value = [](const std::string& text) {
    return parse_claimed(claim("decode_tps", "", "", "", text));
  };
  EXPECT_DOUBLE_EQ(value("800").low, 800);
  EXPECT_DOUBLE_EQ(value("800").high, 800);
  EXPECT_DOUBLE_EQ(value("30-50").low, 30);
  EXPECT_DOUBLE_EQ(value("30-50").high, 50);
  EXPECT_DOUBLE_EQ(value("<1").low, 0);
  EXPECT_DOUBLE_EQ(value("<1").high, 1);
  EXPECT_DOUBLE_EQ(value(">20").low, 20);
  EXPECT_TRUE(std::isinf(value(">20").high));
  EXPECT_DOUBLE_EQ(value("20+").low, 20);
  EXPECT_TRUE(std::isinf(value("20+").high));
  EXPECT_EQ(value("yes").yes_no, true);
  EXPECT_EQ(value("no").yes_no, false);
}

TEST(Claims, MalformedClaimedValuesNameTheClaim) {
  for (const char* text : {"fast", "50-30", "12345678901234567890", "1e400", ""}) {
    try {
      parse_claimed(claim("decode_tps", "", "", "", text));
      ADD_FAILURE() << "no error for '" << text << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("claim t1"), std::string::npos) << e.what();
    }
  }
}

// RTX 3090: 936 GB/s on its datasheet, so "936 GB/s" is consistent and "2000 GB/s" is not.
TEST(Claims, BandwidthAgainstTheDatasheet) {
  auto c = claim("bandwidth", "NVIDIA RTX 3090", "", "", "936");
  c.unit = "GB/s";
  EXPECT_EQ(check_claim(c, db()).verdict, ClaimVerdict::kConsistent);
  c.claimed = "2000";
  EXPECT_EQ(check_claim(c, db()).verdict, ClaimVerdict::kInconsistent);
}

// Speed claims against the prediction's own band and the physical bound, for the 8B at Q4_K_M
// on an RTX 3090: inside the band is consistent, above it but under the bound is optimistic
// "possible only if", above the bound impossible, below the band pessimistic.
TEST(Claims, SpeedAgainstTheBandAndTheBound) {
  auto c = claim("decode_tps", "NVIDIA RTX 3090", "Llama 3.1 8B", "Q4_K_M", "1");
  c.unit = "tok/s";
  const auto base = check_claim(c, db());
  ASSERT_TRUE(std::isfinite(base.predicted));
  const double p = base.predicted;
  const double band = base.predicted_band_fraction;
  const double bound = base.value;
  ASSERT_GT(band, 0);
  ASSERT_GT(bound, p * (1 + band) * 1.1);  // room between the band and the bound
  auto verdict_of = [&](double claimed) {
    c.claimed = fmt::format("{:.2f}", claimed);
    return check_claim(c, db());
  };
  EXPECT_EQ(verdict_of(p).verdict, ClaimVerdict::kConsistent);
  EXPECT_EQ(verdict_of(p * (1 + 0.9 * band)).verdict, ClaimVerdict::kConsistent);
  const auto above = verdict_of((p * (1 + band) + bound) / 2);
  EXPECT_EQ(above.verdict, ClaimVerdict::kOptimistic);
  EXPECT_NE(above.reason.find("possible only if"), std::string::npos) << above.reason;
  const auto impossible = verdict_of(bound * 1.1);
  EXPECT_EQ(impossible.verdict, ClaimVerdict::kOptimistic);
  EXPECT_NE(impossible.reason.find("cannot exceed"), std::string::npos) << impossible.reason;
  EXPECT_EQ(verdict_of(p * (1 - band) * 0.8).verdict, ClaimVerdict::kPessimistic);
  // "at least x": consistent when x is inside the band.
  c.claimed = fmt::format("{:.0f}+", p * 0.95);
  EXPECT_EQ(check_claim(c, db()).verdict, ClaimVerdict::kConsistent);
}

TEST(ClaimResolve, CountsAndSizesStayInRange) {
  std::vector<std::string> assumptions;
  // A 20-digit unit count is not read as a count (no overflow, no abort).
  const auto m = resolve_claim_machine("12345678901234567890x RTX 3090", db(), assumptions);
  if (m) {
    EXPECT_EQ(m->units, 1);
  }
  const auto four = resolve_claim_machine("4x NVIDIA RTX 3090 rig", db(), assumptions);
  ASSERT_TRUE(four.has_value());
  // Rigs are bundled by GPU count: "4x" picks the four-GPU profile.
  EXPECT_EQ(four->spec.gpu_count * four->units, 4);
  EXPECT_EQ(resolve_claim_quant("4-bit", db(), assumptions), "q4_k_m");
}

TEST(Claims, KindAndVerdictNamesRoundTrip) {
  for (const char* name : {"bandwidth", "memory_needed", "decode_tps", "prefill_tps",
                           "seconds_per_token", "max_model_params", "fits", "bandwidth_ratio",
                           "compute_tflops", "power_w", "price_per_gb", "break_even_hours"}) {
    const auto kind = claim_kind_from_name(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_STREQ(claim_kind_name(*kind), name);
  }
  EXPECT_FALSE(claim_kind_from_name("vibes").has_value());
  EXPECT_STREQ(claim_verdict_name(ClaimVerdict::kOptimistic), "optimistic");
  auto c = claim("vibes", "NVIDIA RTX 3090", "", "", "1");
  EXPECT_EQ(check_claim(c, db()).verdict, ClaimVerdict::kUnverifiable);
}

}  // namespace
}  // namespace hwplan::reports
