#pragma once
// The money side of the buying report (DESIGN.md "What should I buy?"): energy, cost of ownership
// and break-even against renting a cloud GPU, as pure functions of a machine and the user's terms.

#include <string>
#include <vector>

#include "planner/hardware_spec.h"

namespace hwplan::reports {

/// The user's terms: electricity price, hours a day at load (the rest idle), years owned, cloud
/// price per hour.
struct OwnershipTerms {
  double electricity_usd_per_kwh = 0.15;
  double hours_per_day = 12;
  double years = 3;
  double cloud_usd_per_hour = 2.39;
};

/// What a machine costs to own and how that compares with renting.
struct Economics {
  double energy_usd_per_year =
      0;               ///< (load W x hours + idle W x (24 - hours)) x 365 / 1000 x price
  double tco_usd = 0;  ///< price + years x energy per year
  /// Months after which owning costs less than renting for the same hours: price / (rent per
  /// month - energy per month). Infinite when renting costs no more than the electricity alone.
  double breakeven_months = 0;
};

/// Economics of one machine (its price must be set). Days per month: 365 / 12.
Economics economics_of(const planner::HardwareSpec& hardware, const OwnershipTerms& terms);

/// Months after which owning costs less than renting the cloud GPU for the same tokens: the
/// cloud GPU is rented only for the hours it needs at its own speed, own_tps / cloud_tps of the
/// owned hours, so the rent saved per month is rent x own_tps / cloud_tps - energy. Infinite when
/// that is not positive (or either speed is not positive).
double token_matched_breakeven_months(const planner::HardwareSpec& hardware,
                                      const OwnershipTerms& terms, double own_tok_per_s,
                                      double cloud_tok_per_s);

/// Electricity per million generated tokens at load: load W / (tok/s x 3600) x 1e6 / 1000 x
/// USD/kWh. NaN when the speed or the load power is unknown.
double energy_usd_per_million_tokens(const planner::HardwareSpec& hardware,
                                     const OwnershipTerms& terms, double tok_per_s);

/// GPU memory a machine can use, all GPUs together, in GiB.
double usable_gpu_gib(const planner::HardwareSpec& hardware);

/// Ids of the machines on the price / usable-memory Pareto front: no other has at least as much
/// memory for at most the price (and is strictly better in one).
std::vector<std::string> pareto_front(const std::vector<const planner::HardwareSpec*>& machines);

}  // namespace hwplan::reports
