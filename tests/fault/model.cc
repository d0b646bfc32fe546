#include "tests/fault/model.h"

#include <set>

namespace raftkv::fault {

ModelState RegisterModel::Init() const { return Encode(std::nullopt); }

ModelState RegisterModel::Encode(const Value& value) { return value ? "=" + *value : ModelState(); }

std::optional<ModelState> RegisterModel::Step(const ModelState& state, const Operation& op) const {
  const bool known = op.outcome == Outcome::kOk;
  switch (op.kind) {
    case OpKind::kRead:
      if (!known || Encode(op.observed) == state) return state;
      return std::nullopt;
    case OpKind::kWrite:
      return Encode(op.value);
    case OpKind::kCas: {
      const bool matches = Encode(op.expected) == state;
      if (known && matches != op.cas_succeeded) return std::nullopt;
      return matches ? Encode(op.value) : state;
    }
  }
  return std::nullopt;
}

std::string RegisterModel::Describe(const ModelState& state) const {
  if (state.empty()) return FormatValue(std::nullopt);
  return FormatValue(state.substr(1));
}

void RegisterModel::Canonicalize(std::vector<Operation>& ops) const {
  std::set<std::string> referenced;
  for (const Operation& op : ops) {
    if (op.kind == OpKind::kRead && op.outcome == Outcome::kOk && op.observed) {
      referenced.insert(*op.observed);
    }
    if (op.kind == OpKind::kCas && op.expected) referenced.insert(*op.expected);
  }
  std::string placeholder = "unreferenced";
  while (referenced.count(placeholder) != 0) placeholder += "'";
  for (Operation& op : ops) {
    const bool writes = op.kind == OpKind::kWrite || op.kind == OpKind::kCas;
    if (writes && op.value && referenced.count(*op.value) == 0) op.value = placeholder;
  }
}

}  // namespace raftkv::fault
