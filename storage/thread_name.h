// Names the calling thread (as shown by top -H, perf and gdb), so that a profile tells the raft,
// apply, peer and pool threads of a member apart. Linux keeps at most 15 characters; a longer
// name is cut.
#pragma once

#include <pthread.h>

#include <string>

namespace raftkv {

inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace raftkv
