#include "client/kvctl/table.h"

#include <algorithm>

namespace raftkv::kvctl {

namespace {

// Display width: UTF-8 continuation bytes take no column.
size_t Width(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const std::string& h : header_) widths.push_back(Width(h));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], Width(row[i]));
    }
  }
  std::string border = "+";
  for (size_t w : widths) border += std::string(w + 2, '-') + "+";
  border += "\n";

  std::string out = border + "|";
  for (size_t i = 0; i < header_.size(); ++i) {
    const size_t pad = widths[i] - Width(header_[i]);
    out += " " + std::string(pad / 2, ' ') + header_[i] + std::string(pad - pad / 2, ' ') + " |";
  }
  out += "\n" + border;
  for (const auto& row : rows_) {
    out += "|";
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      out += " " + std::string(widths[i] - Width(cell), ' ') + cell + " |";
    }
    out += "\n";
  }
  return out + border;
}

}  // namespace raftkv::kvctl
