#include "client/kvctl/format.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace raftkv::kvctl {

std::string HexEscape(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 4);
  for (unsigned char c : bytes) {
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

std::string HexId(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(id));
  return buf;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 10) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  const double exponent = std::floor(std::log(static_cast<double>(bytes)) / std::log(1000.0));
  const int unit = static_cast<int>(exponent);
  // Rounded to one decimal, printed with one decimal below 10 and none above.
  const double value = std::floor(bytes / std::pow(1000.0, exponent) * 10 + 0.5) / 10;
  char buf[32];
  std::snprintf(buf, sizeof(buf), value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return buf;
}

namespace {

// `value / unit` with up to `decimals` fractional digits, trailing zeros removed.
std::string Fraction(int64_t value, int64_t unit, int decimals) {
  std::string out = std::to_string(value / unit);
  int64_t rest = value % unit;
  if (rest == 0) return out;
  std::string digits = std::to_string(rest);
  digits.insert(0, static_cast<size_t>(decimals) - digits.size(), '0');
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

}  // namespace

std::string GoDuration(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  if (ns < 0) return "-" + GoDuration(-d);
  if (ns == 0) return "0s";
  if (ns < 1000) return std::to_string(ns) + "ns";
  if (ns < 1000000) return Fraction(ns, 1000, 3) + "µs";
  if (ns < 1000000000) return Fraction(ns, 1000000, 6) + "ms";
  // Above a minute Go prints "1m30s" or "2h0m5s".
  const std::string seconds = Fraction(ns % 60000000000, 1000000000, 9) + "s";
  const int64_t minutes = ns / 60000000000;
  if (minutes == 0) return seconds;
  if (minutes < 60) return std::to_string(minutes) + "m" + seconds;
  return std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m" + seconds;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return std::nullopt;
    double number = 0;
    try {
      number = std::stod(std::string(text.substr(start, i - start)));
    } catch (...) {
      return std::nullopt;
    }
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ms")
      scale = 1;
    else if (unit == "s")
      scale = 1000;
    else if (unit == "m")
      scale = 60000;
    else if (unit == "h")
      scale = 3600000;
    else if (unit == "us" || unit == "µs")
      scale = 0.001;
    else
      return std::nullopt;
    total_ms += number * scale;
  }
  if (total_ms < 1 || total_ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds(static_cast<int64_t>(total_ms));
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace raftkv::kvctl
