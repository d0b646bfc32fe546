// Model: the sequential specification a linearizability check compares a history against, and
// RegisterModel, the first one (one key of the key-value store as a read/write/cas register).
#pragma once

#include <optional>
#include <string>

#include "tests/fault/history.h"

namespace raftkv::fault {

// The state of a model, encoded by the model as bytes. The encoding is the state's identity:
// two states are equal exactly when their encodings are equal, which gives the checker's cache
// its equality and hash without knowing the model.
using ModelState = std::string;

// A sequential object: its initial state and the effect of one operation. The checker searches
// for an order of the operations, consistent with real time, in which every Step succeeds.
//
// Contract the checker relies on: an operation with outcome kUnknown has no recorded output,
// so Step must succeed for it in every state (choosing the effect the state implies). This is
// what lets the checker treat an unknown operation as "never took effect" by placing it last.
class Model {
 public:
  virtual ~Model() = default;

  // The state before any operation.
  virtual ModelState Init() const = 0;
  // The state after `op` runs in `state`, or nullopt when `op`'s recorded output cannot be
  // produced in `state` (e.g. a read that saw another value). Never called with kFail.
  virtual std::optional<ModelState> Step(const ModelState& state, const Operation& op) const = 0;
  // A readable form of a state, for reports.
  virtual std::string Describe(const ModelState& state) const = 0;
};

// One key as a register, initially absent: a read returns the value, a write sets it (or deletes
// the key), a cas sets it only when it equals the expected value and says whether it did.
class RegisterModel final : public Model {
 public:
  ModelState Init() const override;
  std::optional<ModelState> Step(const ModelState& state, const Operation& op) const override;
  std::string Describe(const ModelState& state) const override;

  // The encoding of a value: "" for absent, "=" followed by the bytes for a present value.
  static ModelState Encode(const Value& value);
};

}  // namespace raftkv::fault
