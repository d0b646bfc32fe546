#include "tests/fault/model.h"

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

}  // namespace raftkv::fault
