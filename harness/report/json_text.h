#pragma once
// JSON's scalars as text, for the files the rig writes (sweep results, benchmark figures).
#include <string>

namespace amprig {

// `s` as a JSON string: quoted, with quotes, backslashes and control characters escaped.
std::string json_quote(const std::string& s);
// `v` in 17 significant digits: read back, it is the same double.
std::string json_number(double v);

}  // namespace amprig
