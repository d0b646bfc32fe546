#include "tests/fault/set_check.h"

#include <map>
#include <set>
#include <sstream>

namespace raftkv::fault {
namespace {

// What the attempts at one element prove about it.
struct ElementAttempts {
  bool any_ok = false;   // some attempt was acknowledged: it must be present
  bool all_fail = true;  // every attempt provably did nothing: it must be absent
};

// Appends `element` to `examples` while there is room.
void Keep(const std::string& element, std::vector<std::string>* examples) {
  if (examples->size() < kMaxSetExamples) examples->push_back(element);
}

void WriteExamples(const char* what, const std::vector<std::string>& examples,
                   std::ostringstream& out) {
  if (examples.empty()) return;
  out << what << " (first " << examples.size() << "):";
  for (const std::string& element : examples) out << " " << element;
  out << "\n";
}

}  // namespace

SetCheckResult CheckSet(const std::vector<SetAdd>& adds,
                        const std::vector<std::string>& final_read) {
  SetCheckResult result;
  std::map<std::string, ElementAttempts> attempts;  // sorted: the examples come out in order
  for (const SetAdd& add : adds) {
    ElementAttempts& element = attempts[add.element];
    switch (add.outcome) {
      case Outcome::kOk:
        ++result.ok;
        element.any_ok = true;
        element.all_fail = false;
        break;
      case Outcome::kFail:
        ++result.fail;
        break;
      case Outcome::kUnknown:
        ++result.unknown;
        element.all_fail = false;
        break;
    }
  }
  result.attempted = static_cast<int64_t>(attempts.size());
  const std::set<std::string> read(final_read.begin(), final_read.end());
  result.read = static_cast<int64_t>(read.size());

  for (const auto& [element, what] : attempts) {
    const bool present = read.count(element) > 0;
    if (what.any_ok && !present) {
      ++result.lost;
      Keep(element, &result.lost_examples);
    } else if (what.all_fail && present) {
      ++result.failed_present;
      Keep(element, &result.failed_present_examples);
    } else if (!what.any_ok && !what.all_fail && present) {
      ++result.recovered;
    }
  }
  for (const std::string& element : read) {
    if (attempts.count(element) == 0) {
      ++result.unexpected;
      Keep(element, &result.unexpected_examples);
    }
  }
  result.valid = result.lost == 0 && result.unexpected == 0 && result.failed_present == 0;
  return result;
}

std::string FormatSetCheck(const SetCheckResult& result) {
  std::ostringstream out;
  out << "adds: attempted " << result.attempted << " elements; attempts ok " << result.ok
      << ", fail " << result.fail << ", unknown " << result.unknown << "\n";
  out << "final read: " << result.read << " elements; lost " << result.lost << ", unexpected "
      << result.unexpected << ", failed but present " << result.failed_present
      << ", recovered (unknown, present) " << result.recovered << "\n";
  WriteExamples("lost", result.lost_examples, out);
  WriteExamples("unexpected", result.unexpected_examples, out);
  WriteExamples("failed but present", result.failed_present_examples, out);
  if (result.valid) {
    out << "verdict: valid\n";
  } else {
    out << "verdict: invalid (";
    const char* separator = "";
    if (result.lost > 0) {
      out << separator << "acknowledged adds lost";
      separator = "; ";
    }
    if (result.unexpected > 0) {
      out << separator << "elements never added";
      separator = "; ";
    }
    if (result.failed_present > 0) out << separator << "failed adds present";
    out << ")\n";
  }
  return out.str();
}

}  // namespace raftkv::fault
