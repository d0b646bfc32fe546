// put, get, del, txn and compaction.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "client/kvctl/commands.h"
#include "client/kvctl/kv_flags.h"
#include "client/kvctl/txn_parser.h"

namespace raftkv::kvctl {

namespace {

// Prints a successful result, or reports the error; returns the exit code.
template <typename T, typename PrintFn>
int Finish(const client::Result<T>& result, const CommandContext& context, PrintFn print) {
  if (!result.ok()) return ReportError(result.status());
  std::cout << print(*result, context.print()) << std::flush;
  return kExitSuccess;
}

int RunGet(const GetFlags& flags, CommandContext& context) {
  client::Result<client::GetOptions> options = flags.ToOptions();
  if (!options.ok()) return ReportBadArgs(options.status().message());
  context.print().print_value_only = flags.print_value_only;
  return Finish(context.client().Get(flags.key, *options, context.call()), context, PrintGet);
}

int RunPut(const PutFlags& flags, CommandContext& context) {
  client::Result<client::PutOptions> options = flags.ToOptions();
  if (!options.ok()) return ReportBadArgs(options.status().message());
  std::string value = flags.value.value_or("");
  if (!flags.value && !flags.ignore_value) {
    // etcdctl's rule: with one argument the value is the whole of stdin, which must not be a
    // terminal and must not be empty.
    const std::string usage = "put command needs 1 argument and input from stdin or 2 arguments";
    if (isatty(STDIN_FILENO)) return ReportBadArgs(usage);
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (value.empty()) return ReportBadArgs(usage);
  }
  return Finish(context.client().Put(flags.key, value, *options, context.call()), context,
                PrintPut);
}

int RunDelete(const DeleteFlags& flags, CommandContext& context) {
  client::Result<client::DeleteOptions> options = flags.ToOptions();
  if (!options.ok()) return ReportBadArgs(options.status().message());
  return Finish(context.client().Delete(flags.key, *options, context.call()), context, PrintDelete);
}

// txn's own flags.
struct TxnFlags {
  bool interactive = false;
  std::string file;  // read the transaction from this file instead of stdin
};

int RunTxn(const TxnFlags& flags, CommandContext& context) {
  std::ifstream file;
  if (!flags.file.empty()) {
    file.open(flags.file);
    if (!file) return ReportBadArgs("cannot read " + flags.file);
  }
  std::istream& in = flags.file.empty() ? std::cin : file;
  client::Result<client::Txn> txn = ReadTxn(in, flags.interactive, std::cout);
  if (!txn.ok()) {
    std::cerr << "Error: " << txn.status().message() << std::endl;
    return kExitInvalidInput;
  }
  return Finish(context.client().Commit(*txn, context.call()), context, PrintTxn);
}

// compaction's flags.
struct CompactionFlags {
  std::string revision;
  bool physical = false;
};

int RunCompaction(const CompactionFlags& flags, CommandContext& context) {
  int64_t revision = 0;
  size_t used = 0;
  try {
    revision = std::stoll(flags.revision, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != flags.revision.size()) {
    return ReportBadArgs("compaction needs a revision number, got \"" + flags.revision + "\"");
  }
  client::Result<client::CompactResult> result =
      context.client().Compact(revision, flags.physical, context.call());
  if (!result.ok()) return ReportError(result.status());
  std::cout << PrintCompaction(*result, revision, context.print()) << std::flush;
  return kExitSuccess;
}

}  // namespace

void AddKvCommands(CLI::App* app, CommandFn* selected) {
  AddCommand<GetFlags>(
      app, selected, "get", "Gets the key or a range of keys",
      [](CLI::App* sub, GetFlags* f) { f->Register(sub); }, RunGet);
  AddCommand<PutFlags>(
      app, selected, "put",
      "Puts the given key into the store (the value is read from stdin when omitted)",
      [](CLI::App* sub, PutFlags* f) { f->Register(sub); }, RunPut);
  AddCommand<DeleteFlags>(
      app, selected, "del", "Removes the specified key or range of keys [key, range_end)",
      [](CLI::App* sub, DeleteFlags* f) { f->Register(sub); }, RunDelete);
  AddCommand<TxnFlags>(
      app, selected, "txn",
      "Txn processes all the requests in one transaction, read in etcdctl's syntax from stdin "
      "or --file:\n  compares (one per line, e.g. value(\"k\") = \"v\", mod(\"k\") > \"3\"),\n"
      "  an empty line, the requests if all compares hold (put/get/del lines),\n  an empty line, "
      "the requests otherwise, an empty line",
      [](CLI::App* sub, TxnFlags* f) {
        sub->add_flag("-i,--interactive", f->interactive, "Input transaction in interactive mode");
        sub->add_option("-f,--file", f->file, "Read the transaction from this file");
      },
      RunTxn);
  AddCommand<CompactionFlags>(
      app, selected, "compaction", "Compacts the event history up to a revision",
      [](CLI::App* sub, CompactionFlags* f) {
        sub->add_option("revision", f->revision, "The revision to compact up to")->required();
        sub->add_flag("--physical", f->physical,
                      "Wait until the compacted history is removed from the disks");
      },
      RunCompaction);
}

}  // namespace raftkv::kvctl
