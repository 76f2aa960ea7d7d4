#pragma once
#include <string>

#include "app.h"

namespace hwplan::cli {

struct ClaimsOptions {
  std::string csv;
};

/// `hwplan claims`: a verdict and a reason for every published claim in a CSV.
CommandResult run_claims(const GlobalOptions& global, const ClaimsOptions& options);

}  // namespace hwplan::cli
