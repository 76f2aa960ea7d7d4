#pragma once
#include <string>

#include "app.h"

namespace hwplan::cli {

struct ListOptions {
  std::string what;  ///< hardware, models or quants
};

/// `hwplan list hardware|models|quants`: the bundled profiles as a table.
CommandResult run_list(const GlobalOptions& global, const ListOptions& options);

}  // namespace hwplan::cli
