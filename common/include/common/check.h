#pragma once
// HWPLAN_CHECK(cond) << "message": for bugs, not for bad input. Prints file:line and aborts.

#include <sstream>

namespace hwplan::detail {

/// Collects the message of a failed check and aborts when destroyed.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

}  // namespace hwplan::detail

#define HWPLAN_CHECK(cond) \
  if (cond) {              \
  } else                   \
    ::hwplan::detail::CheckFailure(__FILE__, __LINE__, #cond)
