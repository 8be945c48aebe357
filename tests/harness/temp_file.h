#pragma once
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

// The whole content of a file the code under test wrote ("" if it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scenario file written by a test, removed when the test ends.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : m_path(std::filesystem::temp_directory_path() /
               ("amprig-test-" + std::to_string(getpid()) + "-" + name)) {
    std::ofstream(m_path) << text;
  }
  ~TempFile() { std::filesystem::remove(m_path); }
  std::string path() const { return m_path.string(); }

 private:
  std::filesystem::path m_path;
};
