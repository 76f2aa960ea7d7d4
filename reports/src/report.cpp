#include "reports/report.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "common/json_util.h"
#include "common/text_util.h"

namespace hwplan::reports {

std::string render(const Report& report, Format format) {
  switch (format) {
    case Format::kText:
      return render_text(report);
    case Format::kJson:
      return render_json(report);
    case Format::kMarkdown:
      return render_markdown(report);
    case Format::kCsv:
      return render_csv(report);
    case Format::kHtml:
      return render_html(report);
  }
  return render_text(report);
}

Format parse_format(const std::string& name) {
  if (name == "text" || name == "table") return Format::kText;
  if (name == "json") return Format::kJson;
  if (name == "md" || name == "markdown") return Format::kMarkdown;
  if (name == "csv") return Format::kCsv;
  if (name == "html") return Format::kHtml;
  throw_usage("--format: unknown format '{}' (choose text, json, md, csv or html)", name);
}

std::string cell_text(const Cell& cell, const Column& column) {
  struct Visitor {
    const Column& column;
    std::string operator()(std::monostate) const { return "-"; }
    std::string operator()(int64_t v) const { return fmt::format("{}", v); }
    std::string operator()(double v) const {
      if (!std::isfinite(v)) return "-";
      return fmt::format("{:.{}f}", v, column.decimals);
    }
    std::string operator()(const std::string& v) const { return printable(v); }
    std::string operator()(bool v) const { return v ? "yes" : "no"; }
  };
  return std::visit(Visitor{column}, cell);
}

nlohmann::json cell_json(const Cell& cell) {
  struct Visitor {
    nlohmann::json operator()(std::monostate) const { return nullptr; }
    nlohmann::json operator()(int64_t v) const { return v; }
    nlohmann::json operator()(double v) const { return json_number(v); }
    nlohmann::json operator()(const std::string& v) const { return v; }
    nlohmann::json operator()(bool v) const { return v; }
  };
  return std::visit(Visitor{}, cell);
}

std::string column_heading(const Column& column) {
  return column.unit.empty() ? column.title : fmt::format("{} ({})", column.title, column.unit);
}

}  // namespace hwplan::reports
