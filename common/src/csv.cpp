#include "common/csv.h"

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace hwplan {

size_t CsvTable::column(const std::string& name, const std::string& origin) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  throw_input("{}: no column \"{}\" in the header", origin, name);
}

CsvTable parse_csv(const std::string& text, const std::string& origin) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  size_t line = 1;
  auto end_field = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    if (!(record.size() == 1 && record[0].empty())) records.push_back(std::move(record));
    record.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        field += c;
      }
    } else if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      end_record();
      ++line;
    } else if (c != '\r') {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw_input("{}: line {}: a quoted field is never closed", origin, line);
  if (!field.empty() || !record.empty()) end_record();
  if (records.empty()) throw_input("{}: empty CSV (no header)", origin);
  CsvTable table;
  table.header = std::move(records.front());
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != table.header.size()) {
      throw_input("{}: record {} has {} fields, the header has {}", origin, r + 1,
                  records[r].size(), table.header.size());
    }
    table.rows.push_back(std::move(records[r]));
  }
  return table;
}

CsvTable load_csv_file(const std::string& path) {
  return parse_csv(read_input_file(path, "CSV file"), path);
}

}  // namespace hwplan
