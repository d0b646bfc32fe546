#include "client/kvctl/kv_flags.h"

#include <algorithm>
#include <cctype>

namespace raftkv::kvctl {

client::Status BadArgument(std::string message) {
  return client::Status(client::ErrorCode::kInvalidArgument, std::move(message));
}

namespace {

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// etcdctl's rule for both get and del: one way of naming a range at a time.
client::Status CheckRangeFlags(bool prefix, bool from_key, bool has_range_end) {
  if (prefix && from_key) {
    return BadArgument("`--prefix` and `--from-key` cannot be set at the same time, choose one.");
  }
  if (prefix && has_range_end) {
    return BadArgument("too many arguments, only accept one argument when `--prefix` is set.");
  }
  if (from_key && has_range_end) {
    return BadArgument("too many arguments, only accept one argument when `--from-key` is set.");
  }
  return {};
}

}  // namespace

void GetFlags::Register(CLI::App* app) {
  app->add_option("key", key, "The key, or the start of the range")->required();
  app->add_option("range_end", range_end, "The end of the range [key, range_end)");
  app->add_option("--consistency", consistency, "Linearizable(l) or Serializable(s)")
      ->capture_default_str();
  app->add_option("--order", order, "Order of results; ASCEND or DESCEND (ASCEND by default)");
  app->add_option("--sort-by", sort_by, "Sort target; CREATE, KEY, MODIFY, VALUE, or VERSION");
  app->add_option("--limit", limit, "Maximum number of results");
  app->add_option("--rev", rev, "Specify the kv revision");
  app->add_flag("--prefix", prefix, "Get keys with matching prefix");
  app->add_flag("--from-key", from_key,
                "Get keys that are greater than or equal to the given key using byte compare");
  app->add_flag("--keys-only", keys_only, "Get only the keys");
  app->add_flag("--count-only", count_only, "Get only the count");
  app->add_flag("--print-value-only", print_value_only,
                "Only write values when using the \"simple\" output format");
  app->add_option("--min-mod-rev", min_mod_rev, "Minimum modify revision");
  app->add_option("--max-mod-rev", max_mod_rev, "Maximum modify revision");
  app->add_option("--min-create-rev", min_create_rev, "Minimum create revision");
  app->add_option("--max-create-rev", max_create_rev, "Maximum create revision");
}

client::Result<client::GetOptions> GetFlags::ToOptions() const {
  if (client::Status s = CheckRangeFlags(prefix, from_key, range_end.has_value()); !s.ok()) {
    return s;
  }
  client::GetOptions options;
  options.range_end = range_end.value_or("");
  options.prefix = prefix;
  options.from_key = from_key;
  options.limit = limit;
  options.revision = rev;
  options.keys_only = keys_only;
  options.count_only = count_only;
  options.min_mod_revision = min_mod_rev;
  options.max_mod_revision = max_mod_rev;
  options.min_create_revision = min_create_rev;
  options.max_create_revision = max_create_rev;
  if (consistency == "s") {
    options.serializable = true;
  } else if (consistency != "l") {
    return BadArgument("unknown consistency flag \"" + consistency + "\"");
  }
  const std::string order_upper = Upper(order);
  if (order_upper == "ASCEND") {
    options.sort_order = client::SortOrder::kAscend;
  } else if (order_upper == "DESCEND") {
    options.sort_order = client::SortOrder::kDescend;
  } else if (!order.empty()) {
    return BadArgument("bad sort order " + order);
  }
  const std::string target = Upper(sort_by);
  if (target == "CREATE") {
    options.sort_target = client::SortTarget::kCreate;
  } else if (target == "KEY") {
    options.sort_target = client::SortTarget::kKey;
  } else if (target == "MODIFY") {
    options.sort_target = client::SortTarget::kMod;
  } else if (target == "VALUE") {
    options.sort_target = client::SortTarget::kValue;
  } else if (target == "VERSION") {
    options.sort_target = client::SortTarget::kVersion;
  } else if (!sort_by.empty()) {
    return BadArgument("bad sort target " + sort_by);
  }
  // Keys come back in ascending key order anyway: asking the server to sort by key ascending
  // would only make it read the whole range before applying the limit (etcdctl does the same).
  if (options.sort_target == client::SortTarget::kKey &&
      options.sort_order == client::SortOrder::kAscend) {
    options.sort_order = client::SortOrder::kNone;
  }
  return options;
}

void PutFlags::Register(CLI::App* app) {
  app->add_option("key", key, "The key")->required();
  app->add_option("value", value, "The value (read from stdin when omitted)");
  app->add_option("--lease", lease, "lease ID (in hexadecimal) to attach to the key");
  app->add_flag("--prev-kv", prev_kv, "return the previous key-value pair before modification");
  app->add_flag("--ignore-value", ignore_value, "updates the key using its current value");
  app->add_flag("--ignore-lease", ignore_lease, "updates the key using its current lease");
}

client::Result<client::PutOptions> PutFlags::ToOptions() const {
  if (ignore_value && value.has_value()) {
    return BadArgument("put command needs only 1 argument when 'ignore-value' is set");
  }
  client::PutOptions options;
  options.prev_kv = prev_kv;
  options.ignore_value = ignore_value;
  options.ignore_lease = ignore_lease;
  if (!lease.empty()) {
    size_t used = 0;
    int64_t id = 0;
    try {
      id = static_cast<int64_t>(std::stoull(lease, &used, 16));
    } catch (...) {
      used = 0;
    }
    if (used != lease.size()) {
      return BadArgument("bad lease ID (" + lease + "), expecting ID in Hex");
    }
    options.lease = id;
  }
  return options;
}

void DeleteFlags::Register(CLI::App* app) {
  app->add_option("key", key, "The key, or the start of the range")->required();
  app->add_option("range_end", range_end, "The end of the range [key, range_end)");
  app->add_flag("--prefix", prefix, "delete keys with matching prefix");
  app->add_flag("--from-key", from_key,
                "delete keys that are greater than or equal to the given key using byte compare");
  app->add_flag("--prev-kv", prev_kv, "return deleted key-value pairs");
}

client::Result<client::DeleteOptions> DeleteFlags::ToOptions() const {
  if (client::Status s = CheckRangeFlags(prefix, from_key, range_end.has_value()); !s.ok()) {
    return s;
  }
  client::DeleteOptions options;
  options.range_end = range_end.value_or("");
  options.prefix = prefix;
  options.from_key = from_key;
  options.prev_kv = prev_kv;
  return options;
}

}  // namespace raftkv::kvctl
