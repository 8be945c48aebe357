#include "scenario/config_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>

#include "scenario/limits.h"
#include "scenario/read_file.h"

namespace amprig {
namespace {

SourceRef ref(const std::string& file, const YAML::Mark& mark) {
  return SourceRef{file, mark.is_null() ? 0 : mark.line + 1};
}

// yaml-cpp lets a quoted scalar run on to the end of the file when its closing quote is missing
// (the rest of the file becomes one value): `pos` is where the quote opens.
bool quote_is_closed(const std::string& text, std::size_t pos) {
  if (pos >= text.size()) return true;
  const char quote = text[pos];
  if (quote != '"' && quote != '\'') return true;
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single quotes
      } else {
        return true;
      }
    }
  }
  return false;
}

// The tree of one file, with its nodes counted (an alias expands each time it is used) and its
// nesting bounded.
class Converter {
 public:
  Converter(const std::string& text, const std::string& file) : m_text(text), m_file(file) {}

  ConfigNode convert(const YAML::Node& node, std::size_t depth = 1) {
    ConfigNode out;
    out.where = ref(m_file, node.Mark());
    if (++m_nodes > kMaxConfigNodes) {
      throw ScenarioError(out.where, "",
                          "more than " + std::to_string(kMaxConfigNodes) +
                              " YAML nodes (is an alias expanding without end?)");
    }
    if (depth > kMaxConfigDepth) {
      throw ScenarioError(
          out.where, "",
          "lists and maps nested more than " + std::to_string(kMaxConfigDepth) + " deep");
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.type = ConfigNode::Type::null;
        break;
      case YAML::NodeType::Scalar:
        check_quote(node, out.where);
        out.type = ConfigNode::Type::scalar;
        out.scalar = node.Scalar();
        break;
      case YAML::NodeType::Sequence:
        out.type = ConfigNode::Type::sequence;
        for (const auto& item : node) out.items.push_back(convert(item, depth + 1));
        break;
      case YAML::NodeType::Map:
        out.type = ConfigNode::Type::map;
        for (const auto& kv : node) {
          const SourceRef key_where = ref(m_file, kv.first.Mark());
          if (!kv.first.IsScalar())
            throw ScenarioError(key_where, "?", "map keys must be plain names");
          check_quote(kv.first, key_where);
          const std::string key = kv.first.Scalar();
          if (out.find(key) != nullptr) throw ScenarioError(key_where, key, "key appears twice");
          out.fields.emplace_back(key, convert(kv.second, depth + 1));
          out.key_refs.push_back(key_where);
        }
        break;
    }
    return out;
  }

 private:
  void check_quote(const YAML::Node& scalar, const SourceRef& where) const {
    // yaml-cpp tags a quoted scalar "!"; a plain one "?".
    if (scalar.Tag() != "!" || scalar.Mark().is_null()) return;
    if (!quote_is_closed(m_text, static_cast<std::size_t>(scalar.Mark().pos))) {
      throw ScenarioError(where, "",
                          std::string("YAML syntax error: the quote (") +
                              m_text[static_cast<std::size_t>(scalar.Mark().pos)] +
                              ") opened here is never closed");
    }
  }

  const std::string& m_text;
  const std::string& m_file;
  std::size_t m_nodes = 0;
};

// The 1-based line of the first line that holds YAML (not blank, not a comment, not '---'),
// and how far it is indented; {0, 0} when there is none.
std::pair<int, std::size_t> first_content_line(const std::string& text) {
  int line = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    const std::string l = text.substr(start, end - start);
    const std::size_t indent = l.find_first_not_of(" \t\r");
    if (indent != std::string::npos && l[indent] != '#' && l.rfind("---", 0) != 0 &&
        l.rfind("%", 0) != 0) {
      return {line, indent};
    }
    start = end + 1;
  }
  return {0, 0};
}

// The 1-based line of the first byte sequence that is not UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF); 0 when the text is all UTF-8. Written here because
// yaml-cpp passes such bytes through into values, and no packaged library we use checks it.
int first_line_not_utf8(const std::string& text) {
  int line = 1;
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b == '\n') ++line;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (b < 0x80) {
      length = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) low = 0xA0;
      if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) low = 0x90;
      if (b == 0xF4) high = 0x8F;
    } else {
      return line;
    }
    if (i + length > text.size()) return line;
    for (std::size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) return line;
    }
    i += length;
  }
  return 0;
}

std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

const ConfigNode* ConfigNode::find(const std::string& key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return &v;
  }
  return nullptr;
}

const SourceRef& ConfigNode::key_ref(const std::string& key) const {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first == key) return key_refs[i];
  }
  return where;
}

ConfigNode parse_config_text(const std::string& text, const std::string& file_name) {
  if (text.size() > kMaxConfigFileBytes) {
    throw ScenarioError(SourceRef{file_name, 0}, "",
                        "the text is " + std::to_string(text.size()) + " bytes; at most " +
                            std::to_string(kMaxConfigFileBytes) + " bytes are read");
  }
  if (const int line = first_line_not_utf8(text)) {
    throw ScenarioError(SourceRef{file_name, line}, "",
                        "the text is not UTF-8 (a byte sequence no UTF-8 character has)");
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(ref(file_name, e.mark), "", "YAML syntax error: " + e.msg);
  }
  if (documents.size() > 1) {
    // A key less indented than the file's first line ends its document and starts another;
    // so does a '---' line. Either way the rest of the file would be ignored.
    const auto [first_line, indent] = first_content_line(text);
    if (indent > 0) {
      throw ScenarioError(SourceRef{file_name, first_line}, "",
                          "YAML syntax error: the first line is indented (" +
                              std::to_string(indent) +
                              " columns), so the less indented lines after it are not part of "
                              "it; start top-level keys in the first column");
    }
    throw ScenarioError(ref(file_name, documents[1].Mark()), "",
                        "a second YAML document starts here; a file holds one document (remove "
                        "the '---' line, or merge the two)");
  }
  Converter converter(text, file_name);
  return converter.convert(documents.empty() ? YAML::Node() : documents.front());
}

ConfigNode load_config_file(const std::string& path) {
  const SourceRef where{path, 0};
  // Looked at before it is opened: opening a FIFO would block, and /dev/zero never ends.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw ScenarioError(where, "", std::string("cannot open file: ") + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw ScenarioError(where, "",
                        "cannot read " + file_kind(st.st_mode) +
                            ": a scenario, base or sweep file must be a regular file");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxConfigFileBytes) {
    throw ScenarioError(where, "",
                        "the file is " + std::to_string(st.st_size) + " bytes; the limit is " +
                            std::to_string(kMaxConfigFileBytes) + " bytes");
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    throw ScenarioError(where, "", std::string("cannot open file: ") + std::strerror(errno));
  // Read one byte past the limit, in case the file grew since it was looked at.
  std::string text;
  const int error = read_from_start(fd, text, kMaxConfigFileBytes);
  ::close(fd);
  if (error != 0) {
    throw ScenarioError(where, "", std::string("cannot read file: ") + std::strerror(error));
  }
  if (text.size() > kMaxConfigFileBytes) {
    throw ScenarioError(
        where, "", "the file is over " + std::to_string(kMaxConfigFileBytes) + " bytes, the limit");
  }
  return parse_config_text(text, path);
}

ConfigNode merge_config(const ConfigNode& base, const ConfigNode& overlay) {
  if (!base.is_map() || !overlay.is_map()) return overlay;
  ConfigNode out = base;
  out.where = overlay.where;
  for (std::size_t i = 0; i < overlay.fields.size(); ++i) {
    const auto& [key, value] = overlay.fields[i];
    bool replaced = false;
    for (std::size_t j = 0; j < out.fields.size(); ++j) {
      if (out.fields[j].first == key) {
        out.fields[j].second = merge_config(out.fields[j].second, value);
        out.key_refs[j] = overlay.key_refs[i];
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.fields.emplace_back(key, value);
      out.key_refs.push_back(overlay.key_refs[i]);
    }
  }
  return out;
}

}  // namespace amprig
