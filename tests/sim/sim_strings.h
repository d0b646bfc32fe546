// StrCat: concatenates strings and integers, for trace lines and violation messages.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

namespace raftkv::sim {
namespace internal {

inline void AppendPiece(std::string& out, std::string_view s) { out.append(s); }
inline void AppendPiece(std::string& out, const char* s) { out.append(s); }
inline void AppendPiece(std::string& out, const std::string& s) { out.append(s); }
inline void AppendPiece(std::string& out, char c) { out.push_back(c); }
inline void AppendPiece(std::string& out, bool b) { out.append(b ? "true" : "false"); }
template <typename T>
requires std::is_integral_v<T>
void AppendPiece(std::string& out, T v) { out.append(std::to_string(v)); }

}  // namespace internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (internal::AppendPiece(out, args), ...);
  return out;
}

}  // namespace raftkv::sim
