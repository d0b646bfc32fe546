// Tests of the history's text form (history.h): every byte string survives a round trip through
// a file, the format is the documented one, and malformed lines are rejected with a clear error.
#include "tests/fault/history.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace raftkv::fault {
namespace {

History SampleHistory() {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
  History history;
  history.push_back(MakeWrite(1, "k", "v1", 100, 200));
  history.push_back(MakeRead(2, "k", std::nullopt, 150, 250));
  history.push_back(MakeRead(3, "k", "v1", 300, 400));
  history.push_back(MakeWrite(4, "k", std::nullopt, 500, 600));  // a delete
  history.push_back(MakeCas(5, "k", std::nullopt, "new", true, 700, 800));
  history.push_back(MakeCas(6, "k", "new", "", false, 900, 1000));
  history.push_back(MakeWrite(7, all_bytes, all_bytes, -5, 9'000'000'000'000));
  history.back().outcome = Outcome::kUnknown;
  history.push_back(MakeRead(8, "", std::string("\0\n \"\\", 5), 1, 2));
  history.back().outcome = Outcome::kFail;
  return history;
}

// Rule: the text form is one line per operation in the documented field order, escaping every
// byte that is not printable ASCII.
TEST(HistoryText, FormatIsOneDocumentedLinePerOperation) {
  EXPECT_EQ(FormatOperation(MakeWrite(3, "k", "v 1", 10, 20)),
            "3 10 20 ok write \"k\" \"v\\x201\"");
  Operation read = MakeRead(4, "k", std::nullopt, 5, 6);
  read.outcome = Outcome::kUnknown;
  EXPECT_EQ(FormatOperation(read), "4 5 6 unknown read \"k\" nil");
  EXPECT_EQ(FormatOperation(MakeCas(1, "a\"b", "x", std::nullopt, true, 0, 1)),
            "1 0 1 ok cas \"a\\\"b\" \"x\" nil true");
  EXPECT_EQ(FormatValue(std::string("\\\n\xff", 3)), "\"\\\\\\x0a\\xff\"");
  EXPECT_EQ(FormatValue(std::string()), "\"\"");
}

// Rule: every value, including the empty one, absent, and all 256 byte values, parses back to
// itself.
TEST(HistoryText, EveryByteValueRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const Value value = std::string(1, static_cast<char>(b)) + "x";
    const std::string token = FormatValue(value);
    EXPECT_EQ(token.find_first_of(" \t\n\r"), std::string::npos) << "byte " << b;
    StatusOr<Value> parsed = ParseValue(token);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, value) << "byte " << b;
  }
  for (const Value& value : {Value(), Value(""), Value("nil"), Value("\"")}) {
    StatusOr<Value> parsed = ParseValue(FormatValue(value));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, value);
  }
}

// Rule: a history written to a stream or a file reads back equal, binary keys and values too.
TEST(HistoryText, HistoryRoundTripsThroughStreamAndFile) {
  const History history = SampleHistory();
  std::stringstream stream;
  ASSERT_TRUE(WriteHistory(history, stream).ok());
  StatusOr<History> read = ReadHistory(stream);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, history);

  const std::string path = ::testing::TempDir() + "/fault_history_round_trip.txt";
  ASSERT_TRUE(WriteHistoryFile(history, path).ok());
  StatusOr<History> from_file = ReadHistoryFile(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(*from_file, history);
}

// Rule: comments and blank lines are skipped; anything malformed is an error naming the line.
TEST(HistoryText, MalformedLinesAreRejectedWithTheirLineNumber) {
  std::istringstream ok_text("# comment\n\n1 0 1 ok write \"k\" \"v\"\n");
  StatusOr<History> ok = ReadHistory(ok_text);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 1u);

  const char* bad_lines[] = {
      "1 0 1 ok write \"k\"",                  // missing the value
      "1 0 1 ok write \"k\" \"v\" \"w\"",      // one value too many
      "x 0 1 ok write \"k\" \"v\"",            // process not a number
      "1 0 1z ok write \"k\" \"v\"",           // complete not a number
      "1 0 1 maybe write \"k\" \"v\"",         // unknown outcome word
      "1 0 1 ok delete \"k\" \"v\"",           // unknown kind
      "1 0 1 ok write nil \"v\"",              // nil key
      "1 0 1 ok write k \"v\"",                // unquoted key
      "1 0 1 ok write \"k\" \"a\"b\"",         // unescaped quote
      "1 0 1 ok write \"k\" \"\\q\"",          // unknown escape
      "1 0 1 ok write \"k\" \"\\x4\"",         // short hex escape
      "1 0 1 ok cas \"k\" \"a\" \"b\" maybe",  // cas result not a boolean
  };
  for (const char* line : bad_lines) {
    std::istringstream text(std::string("# header\n") + line + "\n");
    StatusOr<History> parsed = ReadHistory(text);
    ASSERT_FALSE(parsed.ok()) << line;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << line;
    EXPECT_NE(parsed.status().message().find("line 2"), std::string::npos)
        << parsed.status().message();
  }
  EXPECT_FALSE(ReadHistoryFile(::testing::TempDir() + "/no/such/history").ok());
}

}  // namespace
}  // namespace raftkv::fault
