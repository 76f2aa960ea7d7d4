#include "reports/economics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/units.h"

namespace hwplan::reports {
namespace {

planner::HardwareSpec machine(double price, double load_w, double idle_w,
                              const std::string& id = std::string("box")) {
  planner::HardwareSpec h;
  h.id = id;
  h.kind = planner::MemoryKind::kUnified;
  h.gpu_memory_limit_bytes = gib_to_bytes(96);
  h.price_usd = price;
  h.power_load_w = load_w;
  h.power_idle_w = idle_w;
  return h;
}

// By hand: 300 W x 12 h + 20 W x 12 h = 3,840 Wh/day; x 365 / 1000 x $0.15 = $210.24 a year.
// Rent: $2.39 x 12 h x 365 / 12 = $872.35 a month; electricity $17.52 a month; saving $854.83.
// Break-even: $4,000 / $854.83 = 4.679 months.
TEST(Economics, EnergyOwnershipAndBreakEvenByHand) {
  const auto e = economics_of(machine(4000, 300, 20), OwnershipTerms{0.15, 12, 3, 2.39});
  EXPECT_NEAR(e.energy_usd_per_year, 210.24, 1e-9);
  EXPECT_NEAR(e.tco_usd, 4000 + 3 * 210.24, 1e-9);
  EXPECT_NEAR(e.breakeven_months, 4000.0 / (2.39 * 12 * 365 / 12 - 210.24 / 12), 1e-9);
  EXPECT_NEAR(e.breakeven_months, 4.679, 0.001);
}

// The equal-hours break-even does not depend on how many years the machine is kept.
TEST(Economics, BreakEvenDoesNotMoveWithYears) {
  const auto one = economics_of(machine(4000, 300, 20), OwnershipTerms{0.15, 12, 1, 2.39});
  const auto five = economics_of(machine(4000, 300, 20), OwnershipTerms{0.15, 12, 5, 2.39});
  EXPECT_DOUBLE_EQ(one.breakeven_months, five.breakeven_months);
  EXPECT_LT(one.tco_usd, five.tco_usd);
}

// Renting that costs less than the electricity alone never pays back.
// Token-matched: a machine at 8 tok/s against a cloud GPU at 24 tok/s needs the cloud GPU for a
// third of its hours: rent $872.35 / 3 = $290.78 a month, less $17.52 electricity = $273.26; a
// $4,000 machine pays off after 14.638 months (three times the equal-hours 4.679 and more).
TEST(Economics, TokenMatchedBreakEvenByHand) {
  const OwnershipTerms terms{0.15, 12, 3, 2.39};
  const auto box = machine(4000, 300, 20);
  const double months = token_matched_breakeven_months(box, terms, 8, 24);
  EXPECT_NEAR(months, 4000.0 / (2.39 * 12 * 365 / 12 / 3 - 210.24 / 12), 1e-9);
  EXPECT_NEAR(months, 14.638, 0.001);
  // Equal speeds give the equal-hours break-even; a faster owned machine pays off sooner.
  EXPECT_NEAR(token_matched_breakeven_months(box, terms, 24, 24),
              economics_of(box, terms).breakeven_months, 1e-9);
  EXPECT_LT(token_matched_breakeven_months(box, terms, 48, 24), months);
  // Slow enough that the rent saved does not cover the electricity: never.
  EXPECT_TRUE(std::isinf(token_matched_breakeven_months(box, terms, 0.1, 24)));
  EXPECT_TRUE(std::isinf(token_matched_breakeven_months(box, terms, 0, 24)));
}

// 300 W at 10 tok/s: 300 / (10 x 3600) / 1000 kWh per token = 8.333e-6 kWh;
// x 1e6 x $0.15 = $1.25 per million tokens.
TEST(Economics, EnergyPerMillionTokensByHand) {
  const OwnershipTerms terms{0.15, 12, 3, 2.39};
  EXPECT_NEAR(energy_usd_per_million_tokens(machine(4000, 300, 20), terms, 10), 1.25, 1e-12);
  EXPECT_TRUE(std::isnan(energy_usd_per_million_tokens(machine(4000, 0, 0), terms, 10)));
}

TEST(Economics, NoBreakEvenWhenRentIsCheaperThanPower) {
  EXPECT_TRUE(std::isinf(
      economics_of(machine(4000, 3000, 3000), OwnershipTerms{0.5, 24, 3, 0.1}).breakeven_months));
}

TEST(Economics, ParetoFrontKeepsUndominatedMachines) {
  const auto a = machine(2000, 100, 10, std::string("a"));  // 96 GiB for $2000
  const auto b = machine(3000, 100, 10, std::string("b"));  // 96 GiB for $3000: dominated by a
  auto c = machine(5000, 100, 10, std::string("c"));
  c.gpu_memory_limit_bytes = gib_to_bytes(192);  // more memory for more money: on the front
  EXPECT_EQ(pareto_front({&a, &b, &c}), (std::vector<std::string>{"a", "c"}));
}

}  // namespace
}  // namespace hwplan::reports
