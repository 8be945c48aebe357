#include "signals/signal_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace amprig {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

Signal make_number(std::string name, std::string unit, std::string description,
                   std::function<double()> get, std::function<void(double)> set, bool fault,
                   double min, double max) {
  Signal s;
  s.name = std::move(name);
  s.type = SignalType::number;
  s.unit = std::move(unit);
  s.description = std::move(description);
  s.get = [get = std::move(get)] { return Value(get()); };
  if (set) s.set = [set = std::move(set)](const Value& v) { set(std::get<double>(v)); };
  s.fault = fault;
  s.min = min;
  s.max = max;
  return s;
}

Signal make_bool(std::string name, std::string description, std::function<bool()> get,
                 std::function<void(bool)> set, bool fault) {
  Signal s;
  s.name = std::move(name);
  s.type = SignalType::boolean;
  s.description = std::move(description);
  s.get = [get = std::move(get)] { return Value(get()); };
  if (set) s.set = [set = std::move(set)](const Value& v) { set(std::get<bool>(v)); };
  s.fault = fault;
  return s;
}

Signal make_choice(std::string name, std::vector<std::string> choices, std::string description,
                   std::function<std::string()> get, std::function<void(const std::string&)> set,
                   bool fault) {
  Signal s;
  s.name = std::move(name);
  s.type = SignalType::choice;
  s.choices = std::move(choices);
  s.description = std::move(description);
  s.get = [get = std::move(get)] { return Value(get()); };
  if (set) s.set = [set = std::move(set)](const Value& v) { set(std::get<std::string>(v)); };
  s.fault = fault;
  return s;
}

Signal make_text(std::string name, std::string format, std::string description,
                 std::function<std::string()> get, std::function<void(const std::string&)> set,
                 std::function<bool(const std::string&)> accepts) {
  Signal s;
  s.name = std::move(name);
  s.type = SignalType::text;
  s.format = std::move(format);
  s.description = std::move(description);
  s.get = [get = std::move(get)] { return Value(get()); };
  if (set) s.set = [set = std::move(set)](const Value& v) { set(std::get<std::string>(v)); };
  s.accepts = std::move(accepts);
  return s;
}

std::string to_string(const Value& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    // printf's %.8g, which is what an ostream with precision 8 writes, without building a
    // stream: scenario checks format every value they read.
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, *d, std::chars_format::general, 8);
    return std::string(text, end.ptr);
  }
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

std::string describe_type(const Signal& signal) {
  switch (signal.type) {
    case SignalType::number:
      return signal.unit.empty() ? "number" : "number [" + signal.unit + "]";
    case SignalType::boolean:
      return "bool";
    case SignalType::choice: {
      std::string out;
      for (const auto& c : signal.choices) out += (out.empty() ? "" : "|") + c;
      return out;
    }
    case SignalType::text:
      return signal.format.empty() ? "text" : signal.format;
  }
  return "";
}

bool try_parse_value(const Signal& signal, const std::string& text, Value* out, std::string* error) {
  switch (signal.type) {
    case SignalType::number: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(v)) {
        *error = signal.name + " takes a number" + (signal.unit.empty() ? "" : " in " + signal.unit) +
                 ", not '" + text + "'";
        return false;
      }
      if (signal.integer && v != std::floor(v)) {
        *error = signal.name + " takes a whole number, not " + text;
        return false;
      }
      if (v < signal.min || v > signal.max) {
        std::ostringstream range;
        range << signal.name << " takes values ";
        if (signal.min > -1e300 && signal.max < 1e300) {
          range << "in [" << signal.min << ", " << signal.max << "]";
        } else if (signal.max < 1e300) {
          range << "of at most " << signal.max;
        } else {
          range << "of at least " << signal.min;
        }
        range << (signal.unit.empty() ? "" : " " + signal.unit) << ", not " << text;
        *error = range.str();
        return false;
      }
      *out = v;
      return true;
    }
    case SignalType::boolean:
      if (text == "true" || text == "yes" || text == "on" || text == "1") {
        *out = true;
        return true;
      }
      if (text == "false" || text == "no" || text == "off" || text == "0") {
        *out = false;
        return true;
      }
      *error = signal.name + " takes true or false, not '" + text + "'";
      return false;
    case SignalType::choice:
      if (std::find(signal.choices.begin(), signal.choices.end(), text) != signal.choices.end()) {
        *out = text;
        return true;
      }
      *error = signal.name + " takes one of " + describe_type(signal) + ", not '" + text + "'";
      return false;
    case SignalType::text:
      if (signal.accepts && !signal.accepts(text)) {
        *error = signal.name + " takes " + describe_type(signal) + ", not '" + text + "'";
        return false;
      }
      *out = text;
      return true;
  }
  *out = text;
  return true;
}

Value parse_value(const Signal& signal, const std::string& text) {
  Value value;
  std::string error;
  if (!try_parse_value(signal, text, &value, &error)) throw std::invalid_argument(error);
  return value;
}

std::string fault_group(const std::string& name) {
  const std::string head = name.substr(0, name.find('.'));
  if (head == "adc") return "ADC";
  if (head == "device" || head == "nvm" || head == "button" || head == "cartridge" ||
      head == "system") {
    return "device";
  }
  if (head == "network") return "network";
  if (head == "charger") return "charger";
  return "plant";
}

std::string describe_range(const Signal& signal) {
  switch (signal.type) {
    case SignalType::number: {
      const bool low = signal.min > -1e300;
      const bool high = signal.max < 1e300;
      if (!low && !high) return "any";
      std::ostringstream range;
      range.precision(8);
      if (signal.integer) range << "whole ";
      if (low && high) {
        range << signal.min << " .. " << signal.max;
      } else if (low) {
        range << ">= " << signal.min;
      } else {
        range << "<= " << signal.max;
      }
      return range.str();
    }
    case SignalType::boolean:
      return "true|false";
    case SignalType::choice:
    case SignalType::text:
      return describe_type(signal);
  }
  return "";
}

void SignalRegistry::add(Signal signal) {
  if (signal.fault && signal.group.empty()) signal.group = fault_group(signal.name);
  const std::string name = signal.name;
  if (!m_signals.emplace(name, std::move(signal)).second) {
    throw std::logic_error("signal registered twice: " + name);
  }
}

const Signal* SignalRegistry::find(const std::string& name) const {
  const auto it = m_signals.find(name);
  return it == m_signals.end() ? nullptr : &it->second;
}

const Signal& SignalRegistry::at(const std::string& name) const {
  if (const Signal* s = find(name)) return *s;
  throw std::out_of_range(unknown_name_message(name));
}

std::string SignalRegistry::unknown_name_message(const std::string& name) const {
  std::string message = "no signal named '" + name + "'";
  const auto close = close_matches(name);
  if (!close.empty()) {
    message += " (did you mean";
    for (std::size_t i = 0; i < close.size(); ++i) message += (i ? ", " : " ") + close[i];
    message += "?)";
  }
  return message;
}

Value SignalRegistry::get(const std::string& name) const { return at(name).get(); }

void SignalRegistry::set(const std::string& name, const Value& value) {
  const Signal& s = at(name);
  if (!s.settable()) throw std::invalid_argument(name + " is read-only (a measurement, not an input)");
  ++m_sets;
  s.set(value);
}

void SignalRegistry::set_from_text(const std::string& name, const std::string& text) {
  const Signal& s = at(name);
  if (!s.settable()) throw std::invalid_argument(name + " is read-only (a measurement, not an input)");
  const Value value = parse_value(s, text);
  ++m_sets;
  s.set(value);
}

std::vector<const Signal*> SignalRegistry::all() const {
  std::vector<const Signal*> out;
  for (const auto& [name, s] : m_signals) out.push_back(&s);
  return out;
}

std::vector<std::string> SignalRegistry::close_matches(const std::string& name,
                                                       std::size_t max) const {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& [candidate, s] : m_signals) {
    const std::size_t d = edit_distance(name, candidate);
    if (d <= std::max<std::size_t>(3, name.size() / 3)) scored.emplace_back(d, candidate);
  }
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < max; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace amprig
