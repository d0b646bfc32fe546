// The report of a linearizability check, for a person reading a failed fault test: what the
// history holds, the verdict per key, and the failing window in the history's text form.
#pragma once

#include <iosfwd>
#include <string>

#include "raft/status.h"
#include "tests/fault/history.h"
#include "tests/fault/linearizability.h"

namespace raftkv::fault {

// Writes: the operations counted by outcome and by kind, the verdict, the keys that are not
// linearizable or timed out, and the failing window (one operation per line in the text form of
// history.h, after a two-character mark: "> " for the operation whose completion makes the
// prefix fail, "~ " for operations still pending at that time, "  " for the others).
void WriteReport(const History& history, const CheckResult& result, std::ostream& out);
Status WriteReportFile(const History& history, const CheckResult& result, const std::string& path);

}  // namespace raftkv::fault
