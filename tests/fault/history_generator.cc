#include "tests/fault/history_generator.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace raftkv::fault::testing {
namespace {

// An operation before its output is known: when it takes effect, if it does.
struct Planned {
  Operation op;
  int64_t point = 0;
  bool takes_effect = true;
};

}  // namespace

History GenerateLinearizable(std::mt19937_64& rng, const GeneratorParams& params) {
  const auto uniform = [&rng](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng);
  };
  int fresh = 0;
  const auto random_value = [&]() -> Value {
    if (uniform(0, 19) == 0) return std::nullopt;
    if (params.values == 0) return "u" + std::to_string(fresh++);
    return "v" + std::to_string(uniform(0, params.values - 1));
  };

  std::vector<Planned> planned;
  std::vector<int64_t> free_at(params.processes, 0);
  for (int i = 0; i < params.operations; ++i) {
    const auto process =
        static_cast<size_t>(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    Planned plan;
    Operation& op = plan.op;
    op.process = process;
    op.key = "key" + std::to_string(uniform(0, params.keys - 1));
    op.invoke_ns = free_at[process] + uniform(0, params.max_latency_ns / 4);
    op.complete_ns = op.invoke_ns + uniform(1, params.max_latency_ns);
    free_at[process] = op.complete_ns;
    plan.point = uniform(op.invoke_ns, op.complete_ns);
    const int64_t kind = uniform(0, 99);
    op.kind = kind < 40 ? OpKind::kRead : kind < 75 ? OpKind::kWrite : OpKind::kCas;
    if (op.kind != OpKind::kRead) op.value = random_value();
    if (op.kind == OpKind::kCas) op.expected = random_value();
    const int64_t outcome = uniform(0, 99);
    if (outcome < params.unknown_percent) {
      op.outcome = Outcome::kUnknown;
      plan.point = op.invoke_ns + uniform(0, 10 * params.max_latency_ns);
      plan.takes_effect = uniform(0, 1) == 0;
    } else if (outcome < params.unknown_percent + params.fail_percent) {
      op.outcome = Outcome::kFail;
      plan.takes_effect = false;
    }
    planned.push_back(std::move(plan));
  }

  // Run the operations that take effect, in the order of their points.
  std::vector<size_t> order(planned.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&planned](size_t a, size_t b) { return planned[a].point < planned[b].point; });
  std::map<std::string, Value> registers;
  for (const size_t i : order) {
    Operation& op = planned[i].op;
    if (!planned[i].takes_effect) continue;
    Value& current = registers[op.key];
    switch (op.kind) {
      case OpKind::kRead:
        op.observed = current;
        break;
      case OpKind::kWrite:
        current = op.value;
        break;
      case OpKind::kCas:
        // Half of the cas expect the current value (and succeed).
        if (uniform(0, 1) == 0) op.expected = current;
        op.cas_succeeded = op.expected == current;
        if (op.cas_succeeded) current = op.value;
        break;
    }
  }
  History history;
  for (Planned& plan : planned) history.push_back(std::move(plan.op));
  return history;
}

}  // namespace raftkv::fault::testing
