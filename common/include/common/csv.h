#pragma once
// RFC 4180 CSV reading: quoted fields may hold commas, newlines and doubled quotes.

#include <string>
#include <vector>

namespace hwplan {

/// A parsed CSV file: a header and rows addressed by column name.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// Index of a column; throws Error{kInput} naming `origin` when it is missing.
  size_t column(const std::string& name, const std::string& origin) const;
};

/// Parses CSV text; `origin` names it in errors (an unterminated quote, a row whose field count
/// differs from the header's).
CsvTable parse_csv(const std::string& text, const std::string& origin);

/// Reads and parses a CSV file.
CsvTable load_csv_file(const std::string& path);

}  // namespace hwplan
