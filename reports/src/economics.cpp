#include "reports/economics.h"

#include <cmath>
#include <limits>

#include "common/units.h"

namespace hwplan::reports {
namespace {

constexpr double kDaysPerYear = 365.0;
constexpr double kMonthsPerYear = 12.0;
constexpr double kHoursPerDay = 24.0;
constexpr double kWattHoursPerKwh = 1000.0;

}  // namespace

Economics economics_of(const planner::HardwareSpec& h, const OwnershipTerms& t) {
  Economics e;
  const double watt_hours_per_day =
      h.power_load_w * t.hours_per_day + h.power_idle_w * (kHoursPerDay - t.hours_per_day);
  e.energy_usd_per_year =
      watt_hours_per_day * kDaysPerYear / kWattHoursPerKwh * t.electricity_usd_per_kwh;
  const double price = h.price_usd.value_or(0.0);
  e.tco_usd = price + t.years * e.energy_usd_per_year;
  // Owning for m months costs price + m x energy per month; renting the same hours costs
  // m x rent per month. They meet at m = price / (rent - energy), whatever the years owned.
  const double rent_per_month =
      t.cloud_usd_per_hour * t.hours_per_day * kDaysPerYear / kMonthsPerYear;
  const double saving_per_month = rent_per_month - e.energy_usd_per_year / kMonthsPerYear;
  e.breakeven_months =
      saving_per_month > 0 ? price / saving_per_month : std::numeric_limits<double>::infinity();
  return e;
}

double token_matched_breakeven_months(const planner::HardwareSpec& h, const OwnershipTerms& t,
                                      double own_tok_per_s, double cloud_tok_per_s) {
  if (!(own_tok_per_s > 0) || !(cloud_tok_per_s > 0))
    return std::numeric_limits<double>::infinity();
  const Economics e = economics_of(h, t);
  const double rent_per_month =
      t.cloud_usd_per_hour * t.hours_per_day * kDaysPerYear / kMonthsPerYear;
  const double saving_per_month =
      rent_per_month * own_tok_per_s / cloud_tok_per_s - e.energy_usd_per_year / kMonthsPerYear;
  return saving_per_month > 0 ? h.price_usd.value_or(0.0) / saving_per_month
                              : std::numeric_limits<double>::infinity();
}

double energy_usd_per_million_tokens(const planner::HardwareSpec& h, const OwnershipTerms& t,
                                     double tok_per_s) {
  if (!(tok_per_s > 0) || !(h.power_load_w > 0)) return std::nan("");
  const double kwh_per_token = h.power_load_w / (tok_per_s * 3600.0) / kWattHoursPerKwh;
  return kwh_per_token * 1e6 * t.electricity_usd_per_kwh;
}

double usable_gpu_gib(const planner::HardwareSpec& h) {
  return bytes_to_gib(planner::usable_gpu_bytes(h) * static_cast<double>(h.gpu_count));
}

std::vector<std::string> pareto_front(const std::vector<const planner::HardwareSpec*>& machines) {
  std::vector<std::string> front;
  for (const auto* a : machines) {
    bool dominated = false;
    for (const auto* b : machines) {
      if (a == b) continue;
      const double ga = usable_gpu_gib(*a);
      const double gb = usable_gpu_gib(*b);
      const double pa = a->price_usd.value_or(0.0);
      const double pb = b->price_usd.value_or(0.0);
      dominated = dominated || (gb >= ga && pb <= pa && (gb > ga || pb < pa));
    }
    if (!dominated) front.push_back(a->id);
  }
  return front;
}

}  // namespace hwplan::reports
