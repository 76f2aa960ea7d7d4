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

}  // namespace
}  // namespace hwplan::reports
