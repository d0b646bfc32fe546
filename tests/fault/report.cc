#include "tests/fault/report.h"

#include <array>
#include <fstream>
#include <ostream>

namespace raftkv::fault {
namespace {

constexpr std::array<OpKind, 3> kKinds = {OpKind::kRead, OpKind::kWrite, OpKind::kCas};
constexpr std::array<Outcome, 3> kOutcomes = {Outcome::kOk, Outcome::kFail, Outcome::kUnknown};

void WriteCounts(const History& history, std::ostream& out) {
  // counts[kind][outcome]
  std::array<std::array<size_t, kOutcomes.size()>, kKinds.size()> counts{};
  for (const Operation& op : history) {
    ++counts[static_cast<size_t>(op.kind)][static_cast<size_t>(op.outcome)];
  }
  std::array<size_t, kOutcomes.size()> totals{};
  for (const auto& row : counts) {
    for (size_t o = 0; o < row.size(); ++o) totals[o] += row[o];
  }
  out << "operations: " << history.size();
  for (size_t o = 0; o < kOutcomes.size(); ++o) {
    out << (o == 0 ? " (" : ", ") << OutcomeName(kOutcomes[o]) << " " << totals[o];
  }
  out << ")\n";
  for (size_t k = 0; k < kKinds.size(); ++k) {
    out << "  " << OpKindName(kKinds[k]) << ":";
    for (size_t o = 0; o < kOutcomes.size(); ++o) {
      out << " " << OutcomeName(kOutcomes[o]) << " " << counts[k][o];
    }
    out << "\n";
  }
}

void WriteKeys(const CheckResult& result, std::ostream& out) {
  std::array<size_t, 3> by_verdict{};
  for (const KeyVerdict& key : result.keys) ++by_verdict[static_cast<size_t>(key.verdict)];
  out << "keys: " << result.keys.size() << " (linearizable " << by_verdict[0]
      << ", not linearizable " << by_verdict[1] << ", timed out " << by_verdict[2] << ")\n";
  for (const KeyVerdict& key : result.keys) {
    if (key.verdict == Verdict::kLinearizable) continue;
    out << "  key " << FormatValue(key.key) << ": " << VerdictName(key.verdict) << ", "
        << key.operations << " operations, " << key.steps << " search steps\n";
  }
}

void WriteWindow(const FailingWindow& window, std::ostream& out) {
  out << "failing key: " << FormatValue(window.key) << "\n"
      << "failing window: the history of this key up to " << window.end_ns
      << " ns is already not linearizable"
      << (window.minimal ? "; cut just before that completion, it was linearizable"
                         : " (maybe not the smallest such prefix: a search ran out of budget)")
      << ".\n"
      << window.operations.size()
      << " operations by invoke time; \"> \" completes at the end of the window, \"~ \" is "
         "pending then (may or may not have taken effect); after the mark, the history's text "
         "form:\n";
  for (size_t i = 0; i < window.operations.size(); ++i) {
    const char* mark = i == window.last ? "> " : window.pending[i] ? "~ " : "  ";
    out << mark << FormatOperation(window.operations[i]) << "\n";
  }
}

}  // namespace

void WriteReport(const History& history, const CheckResult& result, std::ostream& out) {
  out << "linearizability: " << VerdictName(result.verdict) << "\n";
  WriteCounts(history, out);
  WriteKeys(result, out);
  if (result.failure) WriteWindow(*result.failure, out);
}

Status WriteReportFile(const History& history, const CheckResult& result, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("cannot open " + path + " for writing");
  WriteReport(history, result, out);
  out.flush();
  if (!out) return Status::IOError("writing " + path + " failed");
  return Status::Ok();
}

}  // namespace raftkv::fault
