#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "reports/report.h"

namespace hwplan::reports {
namespace {

Report sample() {
  Report r;
  r.context.tool_version = "0.1.0";
  Table t{"fit", "Will it fit?", {}, {}};
  t.columns = {{"hardware", "Hardware", "", Align::kLeft},
               {"needed_gib", "Needs", "GiB", Align::kRight, 1},
               {"layers", "Layers", "", Align::kRight},
               {"fits", "Fits", "", Align::kLeft},
               {"note", "Note", "", Align::kLeft}};
  t.rows.push_back({std::string("rtx-4090"), 42.54, int64_t{43}, false, std::string("a, \"b\"")});
  t.rows.push_back({std::string("m3-ultra"), std::nan(""), Cell{}, true, std::string("ok|x")});
  r.tables.push_back(t);
  r.notes.push_back("note one");
  return r;
}

TEST(Render, TextAlignsColumnsAndCarriesUnits) {
  EXPECT_EQ(render(sample(), Format::kText),
            "Will it fit?\n"
            "Hardware  Needs (GiB)  Layers  Fits  Note\n"
            "--------  -----------  ------  ----  ------\n"
            "rtx-4090         42.5      43  no    a, \"b\"\n"
            "m3-ultra            -       -  yes   ok|x\n"
            "\n"
            "note one\n");
}

TEST(Render, MarkdownEscapesPipesAndAlignsRight) {
  EXPECT_EQ(render(sample(), Format::kMarkdown),
            "### Will it fit?\n\n"
            "| Hardware | Needs (GiB) | Layers | Fits | Note   |\n"
            "| -------- | ----------: | -----: | ---- | ------ |\n"
            "| rtx-4090 |        42.5 |     43 | no   | a, \"b\" |\n"
            "| m3-ultra |           - |      - | yes  | ok\\|x  |\n"
            "\n- note one\n");
}

TEST(Render, CsvQuotesPerRfc4180) {
  EXPECT_EQ(render(sample(), Format::kCsv),
            "hardware,needed_gib,layers,fits,note\r\n"
            "rtx-4090,42.54,43,false,\"a, \"\"b\"\"\"\r\n"
            "m3-ultra,,,true,ok|x\r\n");
  EXPECT_EQ(csv_quote("plain"), "plain");
  EXPECT_EQ(csv_quote("line\nbreak"), "\"line\nbreak\"");
}

TEST(Render, JsonKeepsNumbersAndNullsNan) {
  const auto json = nlohmann::json::parse(render(sample(), Format::kJson));
  EXPECT_EQ(json["schema_version"], 1);
  EXPECT_EQ(json["context"]["tool_version"], "0.1.0");
  const auto& rows = json["tables"]["fit"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0]["needed_gib"].get<double>(), 42.54);
  EXPECT_EQ(rows[0]["layers"], 43);
  EXPECT_EQ(rows[0]["fits"], false);
  EXPECT_TRUE(rows[1]["needed_gib"].is_null());
  EXPECT_TRUE(rows[1]["layers"].is_null());
  EXPECT_EQ(json["notes"][0], "note one");
}

TEST(Render, ParseFormat) {
  EXPECT_EQ(parse_format("md"), Format::kMarkdown);
  EXPECT_EQ(parse_format("markdown"), Format::kMarkdown);
  EXPECT_EQ(parse_format("csv"), Format::kCsv);
  try {
    parse_format("xml");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    EXPECT_STREQ(e.what(), "--format: unknown format 'xml' (choose text, json, md, csv or html)");
  }
}

// Two categories, two series: the first with 80% bands, the second without, on a log axis.
Chart banded_categories() {
  Chart c;
  c.key = "k";
  c.title = "Speed";
  c.x_title = "Model";
  c.y_title = "Decode (tok/s)";
  c.kind = Chart::Kind::kCategories;
  c.log_y = true;
  c.categories = {"small", "large"};
  c.series.push_back({"fast", {0, 1}, {10, 40}, {}, {8, 30}, {12, 50}});
  c.series.push_back({"slow", {1}, {5}, {}, {}, {}});
  return c;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Render, CategoryChartDrawsEachBandAsAWhisker) {
  const std::string svg = render_svg(banded_categories());
  // A whisker is a vertical line and two caps, each drawn half transparent: two bands, six lines.
  EXPECT_EQ(count_of(svg, "stroke-opacity=\"0.7\""), 6u);
  EXPECT_NE(svg.find(">small</text>"), std::string::npos);
  EXPECT_NE(svg.find(">large</text>"), std::string::npos);
  EXPECT_NE(svg.find("Whiskers: the 80% band"), std::string::npos);
  EXPECT_NE(svg.find("Decode (tok/s), log scale"), std::string::npos);
  EXPECT_NE(svg.find("fast: large, 40 (80% band 30 to 50)"), std::string::npos);
  // Values from 5 (the slow point) to 50 (a band's top): one decade, so 1-2-5 ticks 5..50.
  for (const char* tick : {">5</text>", ">10</text>", ">20</text>", ">50</text>"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_EQ(svg.find(">100</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">2</text>"), std::string::npos);
}

TEST(Render, CategoryChartAsTextGroupsByCategoryWithBands) {
  EXPECT_EQ(render_chart_text(banded_categories()),
            "small\n"
            "  fast                   ########                                 10 (8-12)\n"
            "large\n"
            "  fast                   ################################         40 (30-50)\n"
            "  slow                   ####                                     5\n"
            "  (Decode (tok/s) against Model; 80% band in brackets)\n");
}

TEST(Render, LinearAxesTickInRoundSteps) {
  Chart c;
  c.title = "Price";
  c.series.push_back({"m", {23.5, 131}, {1298, 4400}, {}, {}, {}});
  const std::string svg = render_svg(c);
  // x up to 131: steps of 50 to 150; y up to 4,400: steps of 1,000 to 5,000 ("5k").
  for (const char* tick :
       {">0</text>", ">50</text>", ">100</text>", ">150</text>", ">1k</text>", ">5k</text>"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_EQ(svg.find("32.7"), std::string::npos);
  EXPECT_EQ(svg.find("Whiskers"), std::string::npos);  // no bands, no legend line for them
}

TEST(Render, HtmlVerdictIsSentencesThatWrap) {
  Report r;
  Table v{"verdict", "Verdict", {{"verdict", "In short", "", Align::kLeft}}, {}};
  v.rows.push_back({std::string("Buy <this> one.")});
  r.tables.push_back(v);
  const std::string html = render_html(r);
  EXPECT_NE(html.find("<div class=\"verdict\">\n<p>Buy &lt;this&gt; one.</p>"), std::string::npos);
  EXPECT_EQ(html.find("<table>"), std::string::npos);
}

// Every legend entry stays inside the chart, however many machines there are (26 priced
// machines in the default report once overflowed a 400 px chart).
TEST(Render, LegendFitsTheChartForManySeries) {
  Chart c;
  c.title = "Many";
  for (int k = 0; k < 40; ++k) c.series.push_back({fmt::format("m{}", k), {1}, {1}, {}, {}, {}});
  const std::string svg = render_svg(c);
  const auto at = svg.find(">m39</text>");
  ASSERT_NE(at, std::string::npos);
  const auto y_at = svg.rfind(" y=\"", at);
  const double y = std::stod(svg.substr(y_at + 4));
  EXPECT_LE(y, 400.0);
}

}  // namespace
}  // namespace hwplan::reports
