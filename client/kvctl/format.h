// Small text formatting helpers of kvctl, each matching what etcdctl 3.4 prints so that the two
// tools agree byte for byte where they print the same thing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raftkv::kvctl {

// Every byte as "\xNN" (lowercase), as etcdctl's --hex prints keys and values.
std::string HexEscape(std::string_view bytes);

// A member id as etcdctl prints it: lowercase hexadecimal without leading zeros.
std::string HexId(uint64_t id);

// A byte count in SI units as etcdctl's endpoint status prints it ("20 kB", "1.5 MB", "7 B").
std::string HumanBytes(uint64_t bytes);

// A duration as Go's time.Duration prints it ("1.256651ms", "2s", "850µs").
std::string GoDuration(std::chrono::nanoseconds d);

// Parses a Go-style duration such as "5s", "500ms", "1m30s", "2.5s"; nullopt when malformed,
// negative or zero.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace raftkv::kvctl
