#pragma once
// Small text helpers shared by the command line and loaders.

#include <string>
#include <string_view>
#include <vector>

namespace hwplan {

/// Levenshtein edit distance between two strings (case-insensitive).
size_t edit_distance(std::string_view a, std::string_view b);

/// Up to `max_count` names from `candidates` closest to `name`: substring matches first, then by
/// edit distance (only those within a distance that makes them plausible).
std::vector<std::string> closest_names(std::string_view name,
                                       const std::vector<std::string>& candidates,
                                       size_t max_count = 3);

/// "unknown <what> 'name'; did you mean: a, b?" (or the list of known names when none is close).
std::string unknown_name_message(std::string_view what, std::string_view name,
                                 const std::vector<std::string>& candidates);

/// Splits on a delimiter, trimming spaces; empty pieces are kept.
std::vector<std::string> split(std::string_view text, char delimiter);

/// Lower-cases ASCII.
std::string to_lower(std::string_view text);

/// Lower-cased ASCII letters and digits only ("Llama 3.1-70B" -> "llama3170b"): for matching
/// names written with different spacing and punctuation.
std::string letters_and_digits_lower(std::string_view text);

/// Removes leading and trailing white space.
std::string trim(std::string_view text);

/// `text` safe for a terminal: control characters other than newline and tab (ESC, NUL, ...)
/// and DEL become \xHH, so an untrusted name can neither move the cursor nor cut a message.
std::string printable(std::string_view text);

/// Whether `text` ends with `tail`.
bool ends_with(std::string_view text, std::string_view tail);

/// Whether `text` contains `part`, ignoring ASCII case.
bool contains_ignoring_case(std::string_view text, std::string_view part);

/// A dollar amount rounded to whole dollars with thousands separators: 9499 -> "$9,499",
/// -1234.6 -> "-$1,235".
std::string usd(double amount);

}  // namespace hwplan
