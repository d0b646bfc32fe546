// Model: the sequential specification a linearizability check compares a history against, and
// RegisterModel, the first one (one key of the key-value store as a read/write/cas register).
#pragma once

#include <optional>
#include <string>
#include <vector>

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
  // Optional: rewrites the operations of one partition into operations that are linearizable
  // exactly when these are (in the same order, with the same times and outcomes) but cheaper to
  // search, e.g. by merging values that no operation can tell apart. The default keeps them.
  virtual void Canonicalize(std::vector<Operation>& ops) const { (void)ops; }
};

// One key as a register, initially absent: a read returns the value, a write sets it (or deletes
// the key), a cas sets it only when it equals the expected value and says whether it did.
class RegisterModel final : public Model {
 public:
  ModelState Init() const override;
  std::optional<ModelState> Step(const ModelState& state, const Operation& op) const override;
  std::string Describe(const ModelState& state) const override;
  // Every written value that no read observed and no cas expected becomes one placeholder
  // value: no operation compares the state with such values, so they are indistinguishable
  // (the register's steps commute with the renaming). Writes whose value nobody reads, e.g.
  // timed-out writes that never took effect, then become interchangeable for the search.
  void Canonicalize(std::vector<Operation>& ops) const override;

  // The encoding of a value: "" for absent, "=" followed by the bytes for a present value.
  static ModelState Encode(const Value& value);
};

}  // namespace raftkv::fault
