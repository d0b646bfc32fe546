// The ASCII tables of kvctl's "-w table" output, drawn as etcdctl 3.4 draws its tables
// (centred headers, right-aligned cells, "+---+" borders).
#pragma once

#include <string>
#include <vector>

namespace raftkv::kvctl {

// A table under construction. Rows shorter than the header are padded with empty cells.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // The whole table, one line per row plus borders, each line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace raftkv::kvctl
