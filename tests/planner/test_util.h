#pragma once
// Shared helpers of the planner tests: the bundled profile database, loaded once.

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "planner/profiles.h"

namespace hwplan::planner::testing {

inline const ProfileDb& db() {
  static const ProfileDb kDb = load_profile_db(HWPLAN_TEST_PROFILES_DIR);
  return kDb;
}

inline const ModelSpec& model(const std::string& id) { return find_model(db(), id).spec; }
inline const QuantSpec& quant(const std::string& id) { return find_quant(db().quants, id); }

/// Runs `body`, expects hwplan::Error of `kind`, returns the message.
template <typename Body>
std::string error_of(Body body, ErrorKind kind = ErrorKind::kInput) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

}  // namespace hwplan::planner::testing
