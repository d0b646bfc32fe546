// kvbench's reports of a finished run: a text summary in the manner of etcd's benchmark tool
// (totals, histogram, latency distribution, errors), or one JSON object for scripts.
#pragma once

#include <string>

#include "benchmarks/kvbench/load.h"

namespace raftkv::kvbench {

std::string TextReport(const std::string& name, const LoadOptions& options,
                       const LoadResult& result);
std::string JsonReport(const std::string& name, const LoadOptions& options,
                       const LoadResult& result);

}  // namespace raftkv::kvbench
