#include "scenario/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "scenario/config_tree.h"
#include "scenario/decoder.h"
#include "scenario/scenario_config.h"

namespace amprig {

std::string SourceRef::str() const {
  return line > 0 ? file + ":" + std::to_string(line) : file;
}

ScenarioError::ScenarioError(SourceRef where, std::string key, const std::string& message)
    : std::runtime_error(where.str() + ": " + (key.empty() ? "" : "key '" + key + "': ") + message),
      m_where(std::move(where)),
      m_key(std::move(key)) {}

std::string Expectation::describe() const {
  switch (kind) {
    case Kind::exact:
      return exact;
    case Kind::tolerance: {
      const std::string target = value ? format_number(*value) : value_signal;
      if (tolerance_pct > 0) return target + " ±" + format_number(tolerance_pct) + " %";
      return target + " ±" + format_number(tolerance_abs);
    }
    case Kind::range:
      return "in [" + (min ? format_number(*min) : std::string("-inf")) + ", " +
             (max ? format_number(*max) : std::string("+inf")) + "]";
    case Kind::not_between:
      return "not in (" + format_number(low) + ", " + format_number(high) + ")";
    case Kind::contains:
      return "text containing '" + exact + "'";
  }
  return "";
}

SimTimeNs parse_duration_ns(const std::string& text) {
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    throw std::invalid_argument("'" + text + "' is not a duration (e.g. 250ms, 2s, 10min, 1h)");
  }
  std::string unit = text.substr(pos);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1e9;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "us") {
    scale = 1e3;
  } else if (unit == "ns") {
    scale = 1;
  } else if (unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    throw std::invalid_argument("'" + text + "': unknown unit '" + unit +
                                "' (use ns, us, ms, s, min or h)");
  }
  if (!std::isfinite(value) || value < 0) {
    throw std::invalid_argument("'" + text + "': a duration must be a non-negative number");
  }
  // Compared as a double before any conversion: a value past the range of SimTimeNs would
  // otherwise wrap to a small or negative time.
  const double ns = value * scale;
  if (!(ns <= static_cast<double>(kMaxSimTimeNs))) {
    throw std::invalid_argument("'" + text + "' is beyond the simulator's range: at most " +
                                max_sim_time_text());
  }
  return std::min(kMaxSimTimeNs, static_cast<SimTimeNs>(std::llround(ns)));
}

std::string max_sim_time_text() {
  constexpr SimTimeNs kNsPerS = 1'000'000'000;
  constexpr SimTimeNs kSPerDay = 86'400;
  std::string fraction = std::to_string(kMaxSimTimeNs % kNsPerS);
  fraction.insert(0, 9 - fraction.size(), '0');
  return std::to_string(kMaxSimTimeNs / kNsPerS) + "." + fraction + " s (about " +
         std::to_string(kMaxSimTimeNs / kNsPerS / kSPerDay) + " days)";
}

namespace {

// "L2" or "-L2": the grid phase a CT input measures, and whether it is inverted.
void decode_scheme(const ConfigNode& node, fw::CurrentScheme& scheme) {
  const std::string key = "device.current_scheme";
  if (!node.is_sequence() || node.items.size() != 3) {
    Decoder::fail(node.where, key, "expected three entries, one per CT input, e.g. [L2, L1, -L3]");
  }
  for (std::size_t k = 0; k < 3; ++k) {
    const ConfigNode& item = node.items[k];
    std::string text = Decoder::scalar(item, key);
    scheme.inverted[k] = !text.empty() && text[0] == '-';
    if (scheme.inverted[k]) text.erase(0, 1);
    ConfigNode phase = item;
    phase.scalar = text;
    scheme.phase[k] = static_cast<std::uint8_t>(Decoder::phase(phase, key));
  }
}

void decode_device(const ConfigNode& node, Scenario& s) {
  Decoder::check_keys(node, "device",
                      {"variant", "network", "voltage_inputs", "fuse_a", "supply_voltage_v",
                       "current_scheme", "generation", "sample_rate_hz", "dma_frames_per_half",
                       "adc", "serial_number", "telemetry_period", "wifi"});
  auto& installation = s.device.installation;
  if (const auto* v = node.find("variant")) {
    const std::string& id = Decoder::scalar(*v, "device.variant");
    if (!fw::parse_variant(id.c_str(), &s.device.variant)) {
      Decoder::fail(v->where, "device.variant",
                    "unknown variant '" + id + "' (ag63, home100 or public400)");
    }
  }
  if (const auto* v = node.find("network")) {
    const std::string& n = Decoder::scalar(*v, "device.network");
    if (n != "TN" && n != "IT") {
      Decoder::fail(v->where, "device.network", "expected TN or IT, got '" + n + "'");
    }
    installation.network = n == "IT" ? fw::NetworkType::it : fw::NetworkType::tn;
  }
  if (const auto* v = node.find("voltage_inputs")) {
    s.device.voltage_inputs = {false, false, false};
    if (v->is_sequence() && v->items.empty()) {
      // no voltage terminal wired at all
    } else {
      for (const auto p : Decoder::phases(*v, "device.voltage_inputs")) {
        s.device.voltage_inputs[p] = true;
      }
    }
  }
  if (const auto* v = node.find("fuse_a")) {
    installation.fuse_a = static_cast<float>(Decoder::number(*v, "device.fuse_a"));
  }
  if (const auto* v = node.find("supply_voltage_v")) {
    installation.supply_voltage_v = static_cast<float>(Decoder::number(*v, "device.supply_voltage_v"));
  }
  if (const auto* v = node.find("current_scheme")) decode_scheme(*v, installation.scheme);
  if (const auto* v = node.find("generation")) {
    s.device.generation = Decoder::boolean(*v, "device.generation");
  }
  if (const char* why = fw::check_settings(installation, fw::board_design(s.device.variant))) {
    Decoder::fail(node.where, "device", std::string("the installation settings are invalid: ") + why);
  }
  if (const auto* v = node.find("sample_rate_hz")) {
    s.device.sample_rate_hz =
        static_cast<std::uint32_t>(Decoder::number_in(*v, "device.sample_rate_hz", 1000, 64000));
  }
  if (const auto* v = node.find("dma_frames_per_half")) {
    s.device.dma_frames_per_half =
        static_cast<std::uint32_t>(Decoder::number_in(*v, "device.dma_frames_per_half", 1, 256));
  }
  if (const auto* v = node.find("adc")) {
    const std::string& a = Decoder::scalar(*v, "device.adc");
    if (a != "behavioural" && a != "rtl") {
      Decoder::fail(v->where, "device.adc", "expected behavioural or rtl, got '" + a + "'");
    }
    s.device.adc = a;
  }
  decode_device_connectivity(node, s);
}

void decode_mains(const ConfigNode& node, Scenario& s, double min_v, double max_v) {
  const std::string path = "plant.mains";
  Decoder::check_keys(node, path,
                      {"voltage_v", "frequency_hz", "sequence", "harmonics", "level", "lost"});
  auto& m = s.mains;
  if (const auto* v = node.find("voltage_v")) {
    m.voltage_v = Decoder::number_in(*v, path + ".voltage_v", 0, 1.3 * std::max(max_v, min_v));
  }
  if (const auto* v = node.find("frequency_hz")) {
    m.frequency_hz = Decoder::number_in(*v, path + ".frequency_hz", 45, 65);
  }
  if (const auto* v = node.find("sequence")) {
    const auto seq = Decoder::phases(*v, path + ".sequence");
    if (seq.size() != 3) Decoder::fail(v->where, path + ".sequence", "name all three phases");
    std::copy(seq.begin(), seq.end(), m.sequence.begin());
  }
  if (const auto* v = node.find("harmonics")) m.harmonics = Decoder::harmonics(*v, path + ".harmonics");
  if (const auto* v = node.find("level")) {
    Decoder::check_keys(*v, path + ".level", {"L1", "L2", "L3"});
    for (const auto& [key, val] : v->fields) {
      m.level[Decoder::phase(ConfigNode{ConfigNode::Type::scalar, key, {}, {}, {}, val.where},
                             path + ".level")] = Decoder::number_in(val, path + ".level." + key, 0, 2);
    }
  }
  if (const auto* v = node.find("lost")) {
    if (!(v->is_sequence() && v->items.empty())) {
      for (const auto p : Decoder::phases(*v, path + ".lost")) m.lost[p] = true;
    }
  }
}

void decode_loads(const ConfigNode& node, Scenario& s, double max_current_a) {
  if (!node.is_sequence()) Decoder::fail(node.where, "plant.loads", "expected a list of loads");
  Decoder::check_count(node, "plant.loads", kMaxLoads, "loads");
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& l = node.items[i];
    const std::string path = "plant.loads[" + std::to_string(i) + "]";
    Decoder::check_keys(l, path,
                        {"name", "phases", "current_a", "power_factor", "leading", "harmonics",
                         "waveform"});
    models::LoadConfig load;
    const auto* name = l.find("name");
    if (name == nullptr) Decoder::fail(l.where, path + ".name", "every load needs a name");
    load.name = Decoder::scalar(*name, path + ".name");
    const bool valid_name =
        !load.name.empty() && std::all_of(load.name.begin(), load.name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!valid_name) {
      Decoder::fail(name->where, path + ".name", "use letters, digits, '_' and '-' only");
    }
    if (!names.insert(load.name).second) {
      Decoder::fail(name->where, path + ".name", "two loads are named '" + load.name + "'");
    }
    if (const auto* v = l.find("phases")) load.phases = Decoder::phases(*v, path + ".phases");
    if (const auto* v = l.find("current_a")) {
      load.current_a = Decoder::number_in(*v, path + ".current_a", 0, 4 * max_current_a);
    }
    if (const auto* v = l.find("power_factor")) {
      load.power_factor = Decoder::number_in(*v, path + ".power_factor", 0, 1);
    }
    if (const auto* v = l.find("leading")) load.leading = Decoder::boolean(*v, path + ".leading");
    if (const auto* v = l.find("harmonics")) load.harmonics = Decoder::harmonics(*v, path + ".harmonics");
    if (const auto* v = l.find("waveform")) {
      const std::string& w = Decoder::scalar(*v, path + ".waveform");
      if (w == "sine") {
        load.waveform = models::LoadWaveform::sine;
      } else if (w == "half_wave_rectified") {
        load.waveform = models::LoadWaveform::half_wave_rectified;
      } else {
        Decoder::fail(v->where, path + ".waveform",
                      "expected sine or half_wave_rectified, got '" + w + "'");
      }
    }
    s.loads.push_back(load);
  }
}

void decode_cts(const ConfigNode& node, Scenario& s) {
  Decoder::check_keys(node, "plant.cts", {"ct1", "ct2", "ct3"});
  for (const auto& [key, ct] : node.fields) {
    const int k = key[2] - '1';
    const std::string path = "plant.cts." + key;
    Decoder::check_keys(ct, path,
                        {"phase", "reversed", "connected", "ratio_error_pct",
                         "phase_displacement_deg", "saturation_current_a"});
    auto& c = s.cts[k];
    if (const auto* v = ct.find("phase")) c.phase = Decoder::phase(*v, path + ".phase");
    if (const auto* v = ct.find("reversed")) c.reversed = Decoder::boolean(*v, path + ".reversed");
    if (const auto* v = ct.find("connected")) c.connected = Decoder::boolean(*v, path + ".connected");
    if (const auto* v = ct.find("ratio_error_pct")) {
      c.ratio_error_pct = Decoder::number_in(*v, path + ".ratio_error_pct", -20, 20);
    }
    if (const auto* v = ct.find("phase_displacement_deg")) {
      c.phase_displacement_deg = Decoder::number_in(*v, path + ".phase_displacement_deg", 0.001, 20);
    }
    if (const auto* v = ct.find("saturation_current_a")) {
      c.saturation_current_a = Decoder::number_in(*v, path + ".saturation_current_a", 0.1, 1e5);
    }
  }
}

void decode_adc(const ConfigNode& node, Scenario& s) {
  const std::string path = "plant.adc";
  Decoder::check_keys(node, path,
                      {"noise_lsb_rms", "offset_lsb", "gain_error_pct", "bias_v", "stuck_bit",
                       "stuck_bit_value", "clip_lsb", "clock_jitter_ns", "modulator_clock_hz"});
  if (const auto* v = node.find("noise_lsb_rms")) {
    s.adc.noise_lsb_rms = Decoder::number_in(*v, path + ".noise_lsb_rms", 0, 1000);
  }
  if (const auto* v = node.find("offset_lsb")) {
    s.adc.offset_lsb = Decoder::number_in(*v, path + ".offset_lsb", -30000, 30000);
  }
  if (const auto* v = node.find("gain_error_pct")) {
    s.adc.gain_error_pct = Decoder::number_in(*v, path + ".gain_error_pct", -20, 20);
  }
  if (const auto* v = node.find("bias_v")) {
    s.adc.bias_v = Decoder::number_in(*v, path + ".bias_v", 0, s.adc.reference_v);
  }
  if (const auto* v = node.find("stuck_bit")) {
    const double bit = Decoder::number_in(*v, path + ".stuck_bit", -1, s.adc.resolution_bits - 1.0);
    if (bit != std::floor(bit)) Decoder::fail(v->where, path + ".stuck_bit", "a bit is a whole number");
    s.adc.stuck_bit = static_cast<int>(bit);
  }
  if (const auto* v = node.find("stuck_bit_value")) {
    const std::string& t = Decoder::scalar(*v, path + ".stuck_bit_value");
    if (t != "0" && t != "1") Decoder::fail(v->where, path + ".stuck_bit_value", "expected 0 or 1, got '" + t + "'");
    s.adc.stuck_bit_value = t == "1";
  }
  if (const auto* v = node.find("clip_lsb")) {
    s.adc.clip_lsb = Decoder::number_in(*v, path + ".clip_lsb", 0, 65536);
  }
  if (const auto* v = node.find("clock_jitter_ns")) {
    s.adc.clock_jitter_ns = Decoder::number_in(*v, path + ".clock_jitter_ns", 0, 1e6);
  }
  if (const auto* v = node.find("modulator_clock_hz")) {
    const double hz = Decoder::number_in(*v, path + ".modulator_clock_hz", 1e4, 1e8);
    if (hz != std::floor(hz)) {
      Decoder::fail(v->where, path + ".modulator_clock_hz", "a whole number of Hz, please");
    }
    s.rtl_adc.modulator_clock_hz = static_cast<std::uint32_t>(hz);
  }
}

std::string& adc_override() {
  static std::string variant;
  return variant;
}

// device.adc (from the file or the command line) against the keys it depends on: the RTL ADC
// decimates its modulator clock by a whole number to the sample rate. The error names the key
// that set the rate or the clock (device.adc when both are defaults).
void check_adc(const ConfigNode& root, Scenario& s) {
  if (!adc_override().empty()) s.device.adc = adc_override();
  if (s.device.adc != "rtl") return;
  std::string why;
  if (models::RtlAdc::decimation_ratio(s.rtl_adc.modulator_clock_hz, s.device.sample_rate_hz,
                                       &why) != 0) {
    return;
  }
  const ConfigNode* device = root.find("device");
  const ConfigNode* plant = root.find("plant");
  const ConfigNode* adc = plant != nullptr && plant->is_map() ? plant->find("adc") : nullptr;
  const ConfigNode* node = nullptr;
  std::string key;
  if (device != nullptr && device->find("sample_rate_hz") != nullptr) {
    node = device->find("sample_rate_hz");
    key = "device.sample_rate_hz";
  } else if (adc != nullptr && adc->is_map() && adc->find("modulator_clock_hz") != nullptr) {
    node = adc->find("modulator_clock_hz");
    key = "plant.adc.modulator_clock_hz";
  } else if (device != nullptr && device->find("adc") != nullptr) {
    node = device->find("adc");
    key = "device.adc";
  }
  if (!adc_override().empty()) why += " (device.adc is rtl from the command line's --adc)";
  Decoder::fail(node != nullptr ? node->where : SourceRef{s.file, 0}, key, why);
}

void decode_solar(const ConfigNode& node, Scenario& s) {
  const std::string path = "plant.solar";
  Decoder::check_keys(node, path,
                      {"power_w", "phases", "profile", "ramp_from_w", "ramp_start", "ramp_duration",
                       "sunrise_h", "sunset_h", "start_time_of_day_h", "clouds", "reactive_var"});
  models::SolarConfig c;
  if (const auto* v = node.find("power_w")) c.power_w = Decoder::number_in(*v, path + ".power_w", 0, 1e6);
  if (const auto* v = node.find("phases")) c.phases = Decoder::phases(*v, path + ".phases");
  if (const auto* v = node.find("profile")) {
    const std::string& p = Decoder::scalar(*v, path + ".profile");
    if (p == "constant") {
      c.profile = models::SolarProfile::constant;
    } else if (p == "ramp") {
      c.profile = models::SolarProfile::ramp;
    } else if (p == "clear_sky") {
      c.profile = models::SolarProfile::clear_sky;
    } else {
      Decoder::fail(v->where, path + ".profile", "expected constant, ramp or clear_sky, got '" + p + "'");
    }
  }
  if (const auto* v = node.find("ramp_from_w")) {
    c.ramp_from_w = Decoder::number_in(*v, path + ".ramp_from_w", 0, 1e6);
  }
  if (const auto* v = node.find("ramp_start")) {
    c.ramp_start_s = static_cast<double>(Decoder::duration(*v, path + ".ramp_start")) / 1e9;
  }
  if (const auto* v = node.find("ramp_duration")) {
    c.ramp_duration_s = static_cast<double>(Decoder::duration(*v, path + ".ramp_duration")) / 1e9;
  }
  if (const auto* v = node.find("sunrise_h")) c.sunrise_h = Decoder::number_in(*v, path + ".sunrise_h", 0, 24);
  if (const auto* v = node.find("sunset_h")) c.sunset_h = Decoder::number_in(*v, path + ".sunset_h", 0, 24);
  if (const auto* v = node.find("start_time_of_day_h")) {
    c.start_time_of_day_h = Decoder::number_in(*v, path + ".start_time_of_day_h", 0, 24);
  }
  if (const auto* v = node.find("reactive_var")) {
    c.reactive_var = Decoder::number_in(*v, path + ".reactive_var", -1e6, 1e6);
  }
  if (const auto* v = node.find("clouds")) {
    if (!v->is_sequence()) Decoder::fail(v->where, path + ".clouds", "expected a list of clouds");
    Decoder::check_count(*v, path + ".clouds", kMaxClouds, "clouds");
    for (std::size_t i = 0; i < v->items.size(); ++i) {
      const ConfigNode& cl = v->items[i];
      const std::string cp = path + ".clouds[" + std::to_string(i) + "]";
      Decoder::check_keys(cl, cp, {"at", "duration", "depth", "edge"});
      models::Cloud cloud;
      const auto* at = cl.find("at");
      if (at == nullptr) Decoder::fail(cl.where, cp + ".at", "a cloud needs a start time");
      cloud.start_s = static_cast<double>(Decoder::duration(*at, cp + ".at")) / 1e9;
      if (const auto* d = cl.find("duration")) {
        cloud.duration_s = static_cast<double>(Decoder::duration(*d, cp + ".duration")) / 1e9;
      }
      if (const auto* d = cl.find("depth")) cloud.depth = Decoder::number_in(*d, cp + ".depth", 0, 1);
      if (const auto* d = cl.find("edge")) {
        cloud.edge_s = static_cast<double>(Decoder::duration(*d, cp + ".edge")) / 1e9;
      }
      c.clouds.push_back(cloud);
    }
  }
  const std::string why = models::PvInverter::check(c);
  if (!why.empty()) Decoder::fail(node.where, path, why);
  s.solar.push_back(c);
}

// An IT network has no neutral: the mains' voltage_v is line-to-line, the
// voltage terminal is referenced to its own star point, a two-phase load hangs
// between its two lines, and nothing connects from one line to a neutral.
void apply_it_network(const ConfigNode& root, Scenario& s) {
  s.mains.network = models::Network::it;
  for (auto& d : s.dividers) d.star_reference = true;
  const ConfigNode* plant = root.find("plant");
  const ConfigNode* loads = plant != nullptr ? plant->find("loads") : nullptr;
  for (std::size_t i = 0; i < s.loads.size(); ++i) {
    auto& load = s.loads[i];
    const SourceRef where = loads != nullptr && i < loads->items.size() ? loads->items[i].where
                                                                        : SourceRef{s.file, 0};
    if (load.phases.size() == 1) {
      Decoder::fail(where, "plant.loads[" + std::to_string(i) + "].phases",
                    "an IT network has no neutral: a single-phase load connects between two "
                    "lines, e.g. [L1, L2]");
    }
    load.line_to_line = load.phases.size() == 2;
  }
  if (!s.solar.empty() && s.solar.front().phases.size() != 3) {
    Decoder::fail(plant->find("solar")->where, "plant.solar.phases",
                  "on an IT network the rig's PV inverter is three-phase only");
  }
}

void decode_plant(const ConfigNode& node, Scenario& s) {
  Decoder::check_keys(node, "plant",
                      {"mains", "cts", "loads", "adc", "solar", "cartridge", "fuse", "chargers"});
  if (const auto* v = node.find("fuse")) {
    Decoder::check_keys(*v, "plant.fuse", {"rating_a"});
    if (const auto* r = v->find("rating_a")) {
      s.fuse.rating_a = Decoder::number_in(*r, "plant.fuse.rating_a", 2, 4000);
    }
  }
  const auto& board = fw::board_design(s.device.variant);
  if (const auto* v = node.find("chargers")) decode_chargers(*v, s);
  if (const auto* v = node.find("mains")) decode_mains(*v, s, board.min_voltage_v, board.max_voltage_v);
  if (const auto* v = node.find("loads")) decode_loads(*v, s, board.rated_current_a);
  if (const auto* v = node.find("solar")) decode_solar(*v, s);
  if (const auto* v = node.find("cts")) decode_cts(*v, s);
  if (const auto* v = node.find("adc")) decode_adc(*v, s);
  if (const auto* v = node.find("cartridge")) {
    Decoder::check_keys(*v, "plant.cartridge", {"present"});
    if (const auto* p = v->find("present")) {
      s.device.cartridge_present = Decoder::boolean(*p, "plant.cartridge.present");
    }
  }
}

}  // namespace

Expectation decode_expectation(const std::string& signal, const ConfigNode& node,
                               const SourceRef& key_where, const std::string& path) {
  Expectation e;
  e.signal = signal;
  e.where = key_where;
  if (node.is_scalar()) {
    e.kind = Expectation::Kind::exact;
    e.exact = node.scalar;
    return e;
  }
  Decoder::check_keys(node, path,
                      {"value", "tolerance_pct", "tolerance_abs", "min", "max", "not_between",
                       "contains"});
  if (const auto* v = node.find("contains")) {
    if (node.fields.size() != 1) Decoder::fail(node.where, path, "contains stands alone");
    e.kind = Expectation::Kind::contains;
    e.exact = Decoder::scalar(*v, path + ".contains");
    // Every text contains the empty one: it would hold whatever the signal said.
    if (e.exact.empty()) {
      Decoder::fail(v->where, path + ".contains", "an empty text is in every text");
    }
    return e;
  }
  if (const auto* v = node.find("value")) {
    e.kind = Expectation::Kind::tolerance;
    const std::string& text = Decoder::scalar(*v, path + ".value");
    char* end = nullptr;
    const double num = std::strtod(text.c_str(), &end);
    if (!text.empty() && *end == '\0') {
      e.value = num;
    } else {
      e.value_signal = text;  // compare with another signal, e.g. plant.L1.current_a
    }
    const auto* pct = node.find("tolerance_pct");
    const auto* abs = node.find("tolerance_abs");
    if ((pct == nullptr) == (abs == nullptr)) {
      Decoder::fail(node.where, path, "give exactly one of tolerance_pct or tolerance_abs with value");
    }
    if (pct) e.tolerance_pct = Decoder::number_in(*pct, path + ".tolerance_pct", 0, 1000);
    if (abs) e.tolerance_abs = Decoder::number_in(*abs, path + ".tolerance_abs", 0, 1e12);
    if (node.find("min") || node.find("max") || node.find("not_between")) {
      Decoder::fail(node.where, path, "value cannot be combined with min, max or not_between");
    }
    return e;
  }
  if (node.find("tolerance_pct") || node.find("tolerance_abs")) {
    Decoder::fail(node.where, path, "a tolerance needs a value");
  }
  if (const auto* v = node.find("not_between")) {
    if (node.find("min") || node.find("max")) {
      Decoder::fail(node.where, path, "not_between cannot be combined with min or max");
    }
    if (!v->is_sequence() || v->items.size() != 2) {
      Decoder::fail(v->where, path + ".not_between", "expected [low, high]");
    }
    e.kind = Expectation::Kind::not_between;
    e.low = Decoder::number(v->items[0], path + ".not_between");
    e.high = Decoder::number(v->items[1], path + ".not_between");
    if (e.low > e.high) Decoder::fail(v->where, path + ".not_between", "low is above high");
    // The interval is open: with low = high nothing is in it, and it would hold for any value.
    if (e.low == e.high) {
      Decoder::fail(v->where, path + ".not_between", "low equals high: no value is between them");
    }
    return e;
  }
  e.kind = Expectation::Kind::range;
  if (const auto* v = node.find("min")) e.min = Decoder::number(*v, path + ".min");
  if (const auto* v = node.find("max")) e.max = Decoder::number(*v, path + ".max");
  if (!e.min && !e.max) Decoder::fail(node.where, path, "expected value, min/max or not_between");
  if (e.min && e.max && *e.min > *e.max) Decoder::fail(node.where, path, "min is above max");
  return e;
}

namespace {

void decode_steps(const ConfigNode& node, Scenario& s) {
  if (!node.is_sequence()) Decoder::fail(node.where, "steps", "expected a list of steps");
  Decoder::check_count(node, "steps", kMaxSteps, "steps");
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& st = node.items[i];
    const std::string path = "steps[" + std::to_string(i) + "]";
    Decoder::check_keys(st, path, {"at", "within", "during", "set", "expect", "note"});
    Step step;
    step.where = st.where;
    const auto* at = st.find("at");
    const auto* within = st.find("within");
    const auto* during = st.find("during");
    if ((at != nullptr) == (during != nullptr)) {
      Decoder::fail(st.where, path, "a step needs exactly one of 'at' or 'during'");
    }
    if (at != nullptr) {
      step.start_ns = Decoder::duration(*at, path + ".at");
      step.end_ns = step.start_ns;
      step.kind = Step::Kind::at;
      if (within != nullptr) {
        step.kind = Step::Kind::within;
        step.end_ns = Decoder::sum_ns(step.start_ns, Decoder::duration(*within, path + ".within"),
                                      within->where, path + ".within", "at + within");
      }
    } else {
      if (within != nullptr) Decoder::fail(st.key_ref("within"), path + ".within", "'within' goes with 'at'");
      if (!during->is_sequence() || during->items.size() != 2) {
        Decoder::fail(during->where, path + ".during", "expected [start, end]");
      }
      step.kind = Step::Kind::during;
      step.start_ns = Decoder::duration(during->items[0], path + ".during");
      step.end_ns = Decoder::duration(during->items[1], path + ".during");
      if (step.end_ns < step.start_ns) Decoder::fail(during->where, path + ".during", "end is before start");
    }
    if (const auto* set = st.find("set")) {
      if (step.kind != Step::Kind::at) {
        Decoder::fail(st.key_ref("set"), path + ".set", "'set' goes in an 'at' step without 'within'");
      }
      Decoder::require_map(*set, path + ".set");
      Decoder::check_count(*set, path + ".set", kMaxSetsPerStep, "signals set");
      for (std::size_t k = 0; k < set->fields.size(); ++k) {
        const auto& [name, value] = set->fields[k];
        Assignment a;
        a.signal = name;
        a.value = Decoder::scalar(value, path + ".set." + name);
        a.where = set->key_refs[k];
        step.sets.push_back(std::move(a));
      }
    }
    if (const auto* expect = st.find("expect")) {
      Decoder::require_map(*expect, path + ".expect");
      Decoder::check_count(*expect, path + ".expect", kMaxExpectationsPerStep, "expectations");
      for (std::size_t k = 0; k < expect->fields.size(); ++k) {
        const auto& [name, value] = expect->fields[k];
        step.expects.push_back(
            decode_expectation(name, value, expect->key_refs[k], path + ".expect." + name));
      }
    }
    if (step.sets.empty() && step.expects.empty()) {
      Decoder::fail(st.where, path, "a step needs 'set' or 'expect'");
    }
    s.steps.push_back(std::move(step));
  }
  // Stable: steps due at the same instant keep their file order.
  std::stable_sort(s.steps.begin(), s.steps.end(),
                   [](const Step& a, const Step& b) { return a.start_ns < b.start_ns; });
}

// `faults:` - a list of { name, value, at, duration }: a set of the signal at `at` and, with a
// duration, a restore at `at + duration` of the value it had just before that set. They act
// before the steps due at the same instant, in the order listed.
void decode_faults(const ConfigNode& node, Scenario& s) {
  if (!node.is_sequence()) {
    Decoder::fail(node.where, "faults", "expected a list of { name, value, at, duration }");
  }
  Decoder::check_count(node, "faults", kMaxFaults, "faults");
  std::vector<Step> faults;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const ConfigNode& f = node.items[i];
    const std::string path = "faults[" + std::to_string(i) + "]";
    Decoder::check_keys(f, path, {"name", "value", "at", "duration", "note"});
    const ConfigNode* name = f.find("name");
    if (name == nullptr) Decoder::fail(f.where, path + ".name", "a fault needs the signal it sets");
    const ConfigNode* value = f.find("value");
    if (value == nullptr) Decoder::fail(f.where, path + ".value", "a fault needs a value");
    const ConfigNode* at = f.find("at");
    if (at == nullptr) Decoder::fail(f.where, path + ".at", "a fault needs a start time");

    Assignment set;
    set.signal = Decoder::scalar(*name, path + ".name");
    set.value = Decoder::scalar(*value, path + ".value");
    set.where = name->where;
    set.key = path + ".name";
    set.save_as = path;
    Step start;
    start.kind = Step::Kind::at;
    start.start_ns = start.end_ns = Decoder::duration(*at, path + ".at");
    start.where = f.where;
    const SimTimeNs start_ns = start.start_ns;
    start.sets.push_back(set);
    faults.push_back(std::move(start));

    if (const ConfigNode* duration = f.find("duration")) {
      Assignment restore;
      restore.signal = set.signal;
      restore.where = set.where;
      restore.key = set.key;
      restore.restore_from = path;
      Step end;
      end.kind = Step::Kind::at;
      end.start_ns = end.end_ns =
          Decoder::sum_ns(start_ns, Decoder::duration(*duration, path + ".duration"),
                          duration->where, path + ".duration", "at + duration");
      end.where = f.where;
      end.sets.push_back(std::move(restore));
      faults.push_back(std::move(end));
    }
  }
  // Before the file's steps, so that the stable sort puts them first at equal times.
  s.steps.insert(s.steps.begin(), std::make_move_iterator(faults.begin()),
                 std::make_move_iterator(faults.end()));
  std::stable_sort(s.steps.begin(), s.steps.end(),
                   [](const Step& a, const Step& b) { return a.start_ns < b.start_ns; });
}

ConfigNode merge_bases(ConfigNode node, const std::string& base_dir, std::vector<std::string>& chain);

ConfigNode load_with_bases(const std::string& path, std::vector<std::string>& chain) {
  const std::string canonical = std::filesystem::weakly_canonical(path).string();
  if (std::find(chain.begin(), chain.end(), canonical) != chain.end()) {
    throw ScenarioError(SourceRef{path, 0}, "base", "the base chain loops back to this file");
  }
  chain.push_back(canonical);
  ConfigNode node = load_config_file(path);
  if (node.type == ConfigNode::Type::null) throw ScenarioError(SourceRef{path, 0}, "", "the file is empty");
  Decoder::require_map(node, "");
  return merge_bases(std::move(node), std::filesystem::path(path).parent_path().string(), chain);
}

void apply_board_defaults(Scenario& s) {
  const auto& board = fw::board_design(s.device.variant);
  for (int k = 0; k < 3; ++k) {
    auto& ct = s.cts[k];
    ct = models::CtConfig{};
    ct.ratio = board.ct_ratio;
    ct.burden_ohm = board.burden_ohm;
    ct.phase_displacement_deg = board.ct_phase_lead_deg;
    ct.nominal_frequency_hz = board.nominal_frequency_hz;
    ct.saturation_current_a = board.ct_saturation_current_a;
    ct.phase = static_cast<models::Phase>(k);
    auto& d = s.dividers[k];
    d.top_ohm = board.divider_top_ohm;
    d.bottom_ohm = board.divider_bottom_ohm;
    d.phase = static_cast<models::Phase>(k);
    d.connected = s.device.voltage_inputs[k];
  }
  s.adc.resolution_bits = board.adc_bits;
  s.adc.reference_v = board.adc_reference_v;
  s.adc.bias_v = board.adc_reference_v / 2;
  s.mains.frequency_hz = board.nominal_frequency_hz;
}

// Merges `node` onto its `base:` file (a path relative to `base_dir`), recursively.
ConfigNode merge_bases(ConfigNode node, const std::string& base_dir, std::vector<std::string>& chain) {
  const ConfigNode* base = node.find("base");
  if (base == nullptr) return node;
  const std::string base_name = Decoder::scalar(*base, "base");
  const auto base_path = std::filesystem::path(base_dir) / base_name;
  // The error_code form: a name the file system refuses (too long, a loop of links) is the
  // base key's error, not a filesystem_error without a line.
  std::error_code error;
  if (!std::filesystem::exists(base_path, error)) {
    Decoder::fail(base->where, "base",
                  (error ? error.message() + ": " : "no such file: ") + base_path.string());
  }
  ConfigNode merged = merge_config(load_with_bases(base_path.string(), chain), node);
  for (std::size_t i = 0; i < merged.fields.size(); ++i) {
    if (merged.fields[i].first == "base") {
      merged.fields.erase(merged.fields.begin() + static_cast<std::ptrdiff_t>(i));
      merged.key_refs.erase(merged.key_refs.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  return merged;
}

}  // namespace

void set_adc_override(const std::string& variant) { adc_override() = variant; }

void reseed(Scenario& s, std::uint64_t seed) {
  s.seed = seed;
  s.adc.seed = seed;
}

Scenario default_scenario(fw::Variant variant) {
  Scenario s;
  s.device.variant = variant;
  s.id = "default";
  apply_board_defaults(s);
  return s;
}

std::vector<std::string> scenario_files(const std::string& path) {
  std::vector<std::string> chain;
  try {
    load_with_bases(path, chain);
  } catch (const std::exception&) {
    // The chain as far as it got.
  }
  if (chain.empty()) chain.push_back(std::filesystem::weakly_canonical(path).string());
  return chain;
}

Scenario load_scenario(const std::string& path) {
  std::vector<std::string> chain;
  const ConfigNode root = load_with_bases(path, chain);
  // A base's id names the base: a file without its own id is named after the file.
  const ConfigNode own = load_config_file(path);
  const ConfigNode* id = own.find("scenario");
  return scenario_from_merged(root, path,
                              id ? Decoder::scalar(*id, "scenario")
                                 : std::filesystem::path(path).stem().string());
}

Scenario scenario_from_config(const ConfigNode& root, const std::string& file,
                              const std::string& base_dir) {
  Decoder::require_map(root, "");
  std::vector<std::string> chain;
  const ConfigNode merged = merge_bases(root, base_dir, chain);
  const ConfigNode* id = root.find("scenario");
  return scenario_from_merged(merged, file, id ? Decoder::scalar(*id, "scenario") : "rig");
}

Scenario scenario_from_merged(const ConfigNode& root, const std::string& file,
                              const std::string& id) {
  Decoder::check_keys(root, "",
                      {"scenario", "description", "seed", "device", "plant", "balancer", "network",
                       "steps", "faults", "duration", "check_period"});
  Scenario s;
  s.file = file;
  s.id = id;
  if (const auto* v = root.find("description")) s.description = Decoder::scalar(*v, "description");
  if (const auto* v = root.find("seed")) {
    const double seed = Decoder::number_in(*v, "seed", 0, static_cast<double>(kMaxSeed));
    if (seed != std::floor(seed)) Decoder::fail(v->where, "seed", "a seed is a whole number");
    s.seed = static_cast<std::uint64_t>(seed);
  }
  if (const auto* v = root.find("device")) decode_device(*v, s);
  apply_board_defaults(s);
  for (int k = 0; k < 3; ++k) s.dividers[k].connected = s.device.voltage_inputs[k];
  // The main fuse is the one the installer declared, unless the plant says otherwise.
  s.fuse.rating_a = s.device.installation.fuse_a;
  // The balancer guards the fuse the device measures behind, unless told otherwise; its phase
  // order is the chargers' default wiring, so it comes before the plant.
  s.balancer.settings.supply_max_current_a = s.device.installation.fuse_a;
  if (const auto* v = root.find("balancer")) decode_balancer(*v, s);
  if (const auto* v = root.find("network")) decode_network(*v, s);
  if (const auto* v = root.find("plant")) decode_plant(*v, s);
  if (s.device.installation.network == fw::NetworkType::it) apply_it_network(root, s);
  const ConfigNode* device = root.find("device");
  if (device == nullptr || device->find("generation") == nullptr) {
    s.device.generation = !s.solar.empty();
  }
  reseed(s, s.seed);
  check_adc(root, s);
  if (const auto* v = root.find("steps")) decode_steps(*v, s);
  if (const auto* v = root.find("faults")) decode_faults(*v, s);
  if (const auto* v = root.find("check_period")) {
    s.check_period_ns = Decoder::duration(*v, "check_period");
    if (s.check_period_ns < 1'000'000) Decoder::fail(v->where, "check_period", "must be at least 1ms");
  }
  for (const auto& st : s.steps) s.duration_ns = std::max(s.duration_ns, st.end_ns);
  if (const auto* v = root.find("duration")) {
    s.duration_ns = std::max(s.duration_ns, Decoder::duration(*v, "duration"));
  }
  return s;
}

}  // namespace amprig
