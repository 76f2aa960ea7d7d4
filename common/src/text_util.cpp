#include "common/text_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace hwplan {

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::vector<std::string> split(std::string_view text, char delimiter) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(delimiter, start);
    pieces.push_back(trim(text.substr(start, at == std::string_view::npos ? at : at - start)));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return pieces;
}

size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const std::string a = to_lower(a_in);
  const std::string b = to_lower(b_in);
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> closest_names(std::string_view name,
                                       const std::vector<std::string>& candidates,
                                       size_t max_count) {
  const std::string needle = to_lower(name);
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto& candidate : candidates) {
    const std::string lowered = to_lower(candidate);
    size_t score = edit_distance(needle, lowered);
    // A name that contains what was typed ("4090" in "rtx-4090") is a better hint than any typo.
    if (!needle.empty() && lowered.find(needle) != std::string::npos) score = 0;
    // Plausible typos only: at most a third of the longer name.
    const size_t limit = std::max<size_t>(2, std::max(needle.size(), lowered.size()) / 3);
    if (score <= limit) scored.emplace_back(score, candidate);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  // Only the best-scoring names: "rtx4090" should suggest rtx-4090, not every rtx card.
  std::vector<std::string> out;
  for (const auto& [score, candidate] : scored) {
    if (out.size() == max_count || score > scored.front().first) break;
    out.push_back(candidate);
  }
  return out;
}

std::string unknown_name_message(std::string_view what, std::string_view name,
                                 const std::vector<std::string>& candidates) {
  const auto close = closest_names(name, candidates);
  if (!close.empty()) {
    return fmt::format("unknown {} '{}'; did you mean: {}?", what, name, fmt::join(close, ", "));
  }
  return fmt::format("unknown {} '{}'; known: {}", what, name, fmt::join(candidates, ", "));
}

std::string letters_and_digits_lower(std::string_view text) {
  std::string out;
  for (char c : to_lower(text)) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) out += c;
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string usd(double amount) {
  const std::string digits = std::to_string(std::llround(std::abs(amount)));
  std::string out = amount <= -0.5 ? "-$" : "$";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  return to_lower(text).find(to_lower(part)) != std::string::npos;
}

}  // namespace hwplan
