// The workloads fault_run can run, by name (--workload).
#include "tests/fault/harness/bank_workload.h"
#include "tests/fault/harness/set_workload.h"
#include "tests/fault/harness/workload.h"

namespace raftkv::fault::harness {

const std::vector<std::string> kWorkloadNames = {"register", "set", "bank"};

std::unique_ptr<Workload> MakeWorkload(const std::string& name, WorkloadOptions options) {
  if (name == "register") return std::make_unique<RegisterWorkload>(std::move(options));
  if (name == "set") return std::make_unique<SetWorkload>(std::move(options));
  if (name == "bank") return std::make_unique<BankWorkload>(std::move(options));
  return nullptr;
}

}  // namespace raftkv::fault::harness
