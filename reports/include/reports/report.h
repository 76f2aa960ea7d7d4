#pragma once
// One output abstraction for every subcommand (STYLE.md "Output"): a Report is context + tables +
// notes; render() turns it into text, JSON, Markdown or CSV, purely.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace hwplan::reports {

/// A table cell. monostate renders as "-" (text) / null (JSON) / empty (CSV).
using Cell = std::variant<std::monostate, int64_t, double, std::string, bool>;

enum class Align { kLeft, kRight };

/// A column: JSON/CSV key (unit-suffixed), screen title, unit shown in the title, alignment and
/// the decimals doubles get on screen.
struct Column {
  std::string key;
  std::string title;
  std::string unit;
  Align align = Align::kLeft;
  int decimals = 1;
};

struct Table {
  std::string key;    ///< JSON key of the table ("fit")
  std::string title;  ///< shown above it on screen
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
};

/// Where and how a report was made (recorded in JSON; not printed in text).
struct Context {
  std::string tool_version;
  std::string git_sha;
  std::string build_type;
  std::string utc_time;
  std::string host;
  std::string command;
  std::vector<std::string> warnings;
};

/// One series of a chart: named points (x, y) with optional point labels and 80% bands.
struct ChartSeries {
  std::string name;
  std::vector<double> x, y;
  std::vector<std::string> labels;
  /// Each point's 80% band, drawn as a whisker from y_lo to y_hi (empty: no bands; NaN: none for
  /// that point).
  std::vector<double> y_lo, y_hi;
};

/// A chart the HTML form draws as inline SVG and the Markdown form as text bars.
struct Chart {
  /// kScatter: numeric x. kCategories: x is an index into `categories` (e.g. models), each
  /// series' point set beside the others' in that category's slot, so no line joins unrelated
  /// categories.
  enum class Kind { kScatter, kCategories };
  std::string key;
  std::string title;
  std::string x_title;  ///< with unit
  std::string y_title;
  Kind kind = Kind::kScatter;
  bool log_x = false;
  bool log_y = false;
  std::vector<std::string> categories;
  std::vector<ChartSeries> series;
  std::vector<std::string> highlight;  ///< labels drawn emphasised (e.g. the Pareto front)
};

struct Report {
  Context context;
  std::vector<Table> tables;
  std::vector<Chart> charts;  ///< HTML and Markdown only
  std::vector<std::string> notes;
  nlohmann::json details;  ///< extra machine-readable data (JSON only), e.g. per-row breakdowns
  /// Keys merged into the top level of the JSON form (a subcommand's documented result fields,
  /// e.g. generate's greedy_ids); must not collide with schema_version/context/tables/notes.
  nlohmann::json top_level;
};

enum class Format { kText, kJson, kMarkdown, kCsv, kHtml };

/// Renders a report. Pure: same report, same string.
std::string render(const Report& report, Format format);

/// Parses "text", "json", "md"/"markdown", "csv"; throws Error{kUsage} otherwise.
Format parse_format(const std::string& name);

/// A cell as screen text: doubles with the column's decimals, bools yes/no, monostate "-".
std::string cell_text(const Cell& cell, const Column& column);
/// A cell as JSON: numbers stay numbers, NaN becomes null.
nlohmann::json cell_json(const Cell& cell);

std::string render_text(const Report& report);
std::string render_json(const Report& report);
std::string render_markdown(const Report& report);
std::string render_csv(const Report& report);
std::string render_html(const Report& report);
/// A chart as a standalone SVG element (no scripts, no external references).
std::string render_svg(const Chart& chart);
/// A chart as text bars (for Markdown and terminals).
std::string render_chart_text(const Chart& chart);

/// RFC 4180 quoting: fields with comma, quote or newline are quoted, quotes doubled.
std::string csv_quote(const std::string& field);

/// "Title (unit)" or "Title".
std::string column_heading(const Column& column);

}  // namespace hwplan::reports
