#pragma once
// Reading an open file whole: the scenario loader, the sweep's results file and the results a
// scenario's process leaves behind all read this way.
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace amprig {

// Appends the file's content from its start to `out` (pread: the descriptor's offset stays where
// it is), stopping once `out` holds more than `limit` bytes, so that a caller can tell a file
// that grew past its limit. Returns 0, or the errno of the read that failed.
inline int read_from_start(int fd, std::string& out, std::size_t limit = std::string::npos) {
  char buffer[65536];
  for (off_t offset = 0; out.size() <= limit || limit == std::string::npos;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return 0;
}

}  // namespace amprig
