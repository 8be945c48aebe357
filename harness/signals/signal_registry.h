#pragma once
// Every signal a scenario can read, set or fault, under one dotted name
// (architecture.md's signal namespace). YAML steps, traces, reports and the
// command line all go through this registry.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace amprig {

using Value = std::variant<double, bool, std::string>;

enum class SignalType { number, boolean, choice, text };

struct Signal {
  std::string name;
  SignalType type = SignalType::number;
  std::string unit;                  // number: "V", "A", ...; empty if none
  std::vector<std::string> choices;  // choice: the allowed values
  double min = -1e300;               // number: the settable range
  double max = 1e300;
  bool integer = false;              // number: only whole values (a count, an index)
  std::string format;                // text: what a settable value looks like, for messages
  std::function<bool(const std::string&)> accepts;  // text: the syntax check for set values
  std::string description;
  std::function<Value()> get;
  std::function<void(const Value&)> set;  // empty: read-only
  bool fault = false;                     // a fault injection point (listed by `amprig faults`)
  // A fault's family in the catalogue: plant, ADC, device, network or charger (empty: not a
  // fault). SignalRegistry::add fills it from the name when it is left empty.
  std::string group;
  bool settable() const { return static_cast<bool>(set); }
};

// The catalogue's groups, in the order `amprig faults` lists them.
inline constexpr const char* kFaultGroups[] = {"plant", "ADC", "device", "network", "charger"};
// The group of the fault named `name`, from its first component: mains, ct1..3, voltage, loads,
// solar -> plant; adc -> ADC; device, nvm, button, cartridge, system -> device; network ->
// network; charger -> charger; anything else -> plant.
std::string fault_group(const std::string& name);
// A signal's settable values for a catalogue: "0 .. 2", "true|false", "on|off", or the text
// format (empty when unconstrained).
std::string describe_range(const Signal& signal);

class SignalRegistry {
 public:
  // Registers a signal; the name must be new.
  void add(Signal signal);
  const Signal* find(const std::string& name) const;
  const Signal& at(const std::string& name) const;  // throws std::out_of_range with suggestions
  // What at() says of a name that is not here: "no signal named 'x' (did you mean ...?)".
  std::string unknown_name_message(const std::string& name) const;
  Value get(const std::string& name) const;
  // Parses `text` per the signal's type and sets it; throws std::invalid_argument
  // saying what is allowed.
  void set_from_text(const std::string& name, const std::string& text);
  void set(const std::string& name, const Value& value);
  std::vector<const Signal*> all() const;
  // Counts the sets so far: anything derived from the signals (a cache of the plant's ground
  // truth) is stale once it moves.
  std::uint64_t sets() const { return m_sets; }
  // Names close to `name`, for "did you mean" messages.
  std::vector<std::string> close_matches(const std::string& name, std::size_t max = 3) const;

 private:
  std::map<std::string, Signal> m_signals;
  std::uint64_t m_sets = 0;
};

// Builders for the usual shapes of signal; an empty setter makes it read-only.
Signal make_number(std::string name, std::string unit, std::string description,
                   std::function<double()> get, std::function<void(double)> set = {},
                   bool fault = false, double min = -1e300, double max = 1e300);
Signal make_bool(std::string name, std::string description, std::function<bool()> get,
                 std::function<void(bool)> set = {}, bool fault = false);
Signal make_choice(std::string name, std::vector<std::string> choices, std::string description,
                   std::function<std::string()> get,
                   std::function<void(const std::string&)> set = {}, bool fault = false);
Signal make_text(std::string name, std::string format, std::string description,
                 std::function<std::string()> get,
                 std::function<void(const std::string&)> set = {},
                 std::function<bool(const std::string&)> accepts = {});

std::string to_string(const Value& value);
std::string describe_type(const Signal& signal);  // "number [A]", "bool", "green|red|off"
Value parse_value(const Signal& signal, const std::string& text);  // throws std::invalid_argument
// The same without throwing (for code that runs after sc_start, where the installed SystemC's
// coroutine stacks make AddressSanitizer misjudge exceptions): false and `error` set if invalid.
bool try_parse_value(const Signal& signal, const std::string& text, Value* out, std::string* error);

}  // namespace amprig
