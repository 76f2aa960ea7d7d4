#include "common/csv.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace hwplan {
namespace {

TEST(Csv, QuotedFieldsHoldCommasNewlinesAndQuotes) {
  const auto table =
      parse_csv("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",\n", "t.csv");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0][1], "x, y");
  EXPECT_EQ(table.rows[0][2], "say \"hi\"");
  EXPECT_EQ(table.rows[1][1], "two\nlines");
  EXPECT_EQ(table.rows[1][2], "");
  EXPECT_EQ(table.column("c", "t.csv"), 2u);
}

TEST(Csv, MalformedInputIsAClearError) {
  try {
    parse_csv("a,b\n1,2,3\n", "t.csv");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "t.csv: record 2 has 3 fields, the header has 2");
  }
  try {
    parse_csv("a,b\n1,\"open\n", "t.csv");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "t.csv: line 3: a quoted field is never closed");
  }
  try {
    parse_csv("a\n1\n", "t.csv").column("b", "t.csv");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "t.csv: no column \"b\" in the header");
  }
}

}  // namespace
}  // namespace hwplan
