#include "fuzz_support.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <system_error>

namespace amprig::fuzz {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFixturePrefix = "amprig-fuzz-";

// A target that crashed, timed out or ran out of memory (each a finding) never removed its
// fixture: the folders of processes that are gone are removed by the next one.
void remove_stale_fixtures(const fs::path& temp) {
  std::error_code ignored;
  for (const auto& e : fs::directory_iterator(temp, ignored)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kFixturePrefix, 0) != 0) continue;
    const std::string pid = name.substr(std::char_traits<char>::length(kFixturePrefix));
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ignored);
  }
}

}  // namespace

Fixture::Fixture(const std::string& input_relative) {
  const fs::path temp = fs::temp_directory_path();
  remove_stale_fixtures(temp);
  // Always as long, so that two campaigns of one seed follow the same paths through the code.
  char pid[16];
  std::snprintf(pid, sizeof pid, "%010ld", static_cast<long>(getpid()));
  m_root = temp / (kFixturePrefix + std::string(pid));
  std::error_code ignored;
  fs::remove_all(m_root, ignored);
  if (!fs::create_directory(m_root, ignored)) {
    std::fprintf(stderr, "amprig-fuzz: cannot make the folder %s\n", m_root.c_str());
    std::abort();
  }
  m_input = m_root / input_relative;
  fs::create_directories(m_input.parent_path());
}

Fixture::~Fixture() {
  std::error_code ignored;
  fs::remove_all(m_root, ignored);
}

void Fixture::mirror_files(const fs::path& from, const std::string& prefix) {
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    if (!e.is_regular_file() || e.path().filename().string().rfind(prefix, 0) != 0) continue;
    const fs::path to = m_root / fs::relative(e.path(), from);
    fs::create_directories(to.parent_path());
    fs::create_symlink(e.path(), to);
  }
}

void Fixture::link_folders(const fs::path& from, const std::string& except) {
  for (const auto& e : fs::directory_iterator(from)) {
    if (e.is_directory() && e.path().filename() != except) {
      fs::create_directory_symlink(e.path(), m_root / e.path().filename());
    }
  }
}

void Fixture::write_input(const std::string& text) const {
  std::ofstream out(m_input, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    std::fprintf(stderr, "amprig-fuzz: cannot write %s\n", m_input.c_str());
    std::abort();
  }
}

bool Fixture::stays_inside(const std::string& written) const {
  const fs::path p(written);
  if (p.is_absolute()) return false;
  const std::string normal = (m_input.parent_path() / p).lexically_normal().string();
  const std::string root = m_root.string() + "/";
  return normal.rfind(root, 0) == 0 || normal + "/" == root;
}

fs::path scenarios_folder() { return fs::path(AMPRIG_SOURCE_DIR) / "scenarios"; }

namespace {

// Full precision, so that a difference in the last bit shows.
class Text {
 public:
  Text() { m_out << std::setprecision(17); }
  template <typename T>
  Text& operator()(const char* name, const T& value) {
    m_out << name << '=' << value << ';';
    return *this;
  }
  Text& operator()(const char* name, bool value) { return (*this)(name, value ? "true" : "false"); }
  Text& operator()(const char* name, const std::optional<double>& value) {
    if (value) return (*this)(name, *value);
    return (*this)(name, "none");
  }
  template <typename Enum>
  Text& code(const char* name, Enum value) {
    return (*this)(name, static_cast<long long>(value));
  }
  Text& harmonics(const char* name, const std::vector<models::Harmonic>& hs) {
    for (const auto& h : hs) (*this)(name, h.order)("percent", h.percent)("deg", h.phase_deg);
    return *this;
  }
  Text& phases(const char* name, const std::vector<models::Phase>& ps) {
    for (const auto p : ps) code(name, p);
    return *this;
  }
  Text& link(const char* name, const models::LinkConfig& l) {
    (*this)(name, "link")("latency_s", l.latency_s)("jitter_s", l.jitter_s)("loss_pct", l.loss_pct)(
        "down", l.down)("frozen", l.frozen);
    for (const auto& o : l.outages) (*this)("outage_s", o.start_s)("for_s", o.duration_s);
    return *this;
  }
  std::string str() const { return m_out.str(); }

 private:
  std::ostringstream m_out;
};

// Two kinds: a negative time is always wrong (an overflow, a sign lost), a time beyond the
// kernel's range is wrong as long as kMaxSimTimeNs says where that range ends.
void check_ns(SimTimeNs t, const std::string& what) {
  if (t < 0) finding("negative-time", what + " = " + std::to_string(t) + " ns");
  if (t > kMaxSimTimeNs) {
    finding("time-beyond-kernel-range", what + " = " + std::to_string(t) + " ns > kMaxSimTimeNs = " +
                                            std::to_string(kMaxSimTimeNs) + " ns");
  }
}

// A time the decoders keep in seconds.
void check_seconds(double t_s, const std::string& what) {
  std::ostringstream detail;
  detail << what << " = " << t_s << " s";
  if (!(t_s >= 0)) finding("negative-time", detail.str());
  if (!(t_s <= static_cast<double>(kMaxSimTimeNs) * 1e-9)) {
    finding("time-beyond-kernel-range", detail.str());
  }
}

}  // namespace

std::string fingerprint(const Scenario& s, bool with_lines) {
  Text t;
  t("id", s.id)("description", s.description)("seed", s.seed);
  const DeviceSettings& d = s.device;
  t.code("variant", d.variant)("voltage_inputs", d.voltage_inputs[0])("", d.voltage_inputs[1])(
      "", d.voltage_inputs[2]);
  t("fuse_a", d.installation.fuse_a).code("network", d.installation.network)(
      "supply_v", d.installation.supply_voltage_v);
  for (int k = 0; k < 3; ++k) {
    t.code("scheme", d.installation.scheme.phase[k])("inverted", d.installation.scheme.inverted[k]);
  }
  t("generation", d.generation)("cartridge", d.cartridge_present)("rate_hz", d.sample_rate_hz)(
      "frames", d.dma_frames_per_half)("adc", d.adc)("serial", d.serial_number)(
      "telemetry_s", d.telemetry_period_s)("ssid", d.wifi_ssid)("password", d.wifi_password);
  const models::MainsConfig& m = s.mains;
  t.code("mains", m.network)("v", m.voltage_v)("hz", m.frequency_hz)("drift", m.frequency_drift_hz_per_s)(
      "common", m.common_level);
  for (int k = 0; k < 3; ++k) t.code("seq", m.sequence[k])("level", m.level[k])("lost", m.lost[k]);
  t.harmonics("mains.h", m.harmonics);
  for (const auto& l : s.loads) {
    t("load", l.name).phases("phase", l.phases)("a", l.current_a)("pf", l.power_factor)(
        "leading", l.leading).code("waveform", l.waveform)("l2l", l.line_to_line);
    t.harmonics("h", l.harmonics);
  }
  for (const auto& c : s.solar) {
    t("solar_w", c.power_w).phases("phase", c.phases).code("profile", c.profile)("from_w", c.ramp_from_w)(
        "ramp_s", c.ramp_start_s)("ramp_for_s", c.ramp_duration_s)("rise", c.sunrise_h)("set", c.sunset_h)(
        "tod", c.start_time_of_day_h)("var", c.reactive_var);
    for (const auto& cl : c.clouds) t("cloud_s", cl.start_s)("for", cl.duration_s)("depth", cl.depth)("edge", cl.edge_s);
  }
  t("fuse_rating_a", s.fuse.rating_a)("fuse_5in_s", s.fuse.time_at_5in_s);
  for (const auto& c : s.cts) {
    t("ct_ratio", c.ratio)("burden", c.burden_ohm)("err", c.ratio_error_pct)("disp", c.phase_displacement_deg)(
        "nominal_hz", c.nominal_frequency_hz)("sat", c.saturation_current_a).code("phase", c.phase)(
        "reversed", c.reversed)("connected", c.connected);
  }
  for (const auto& dv : s.dividers) {
    t("top", dv.top_ohm)("bottom", dv.bottom_ohm).code("phase", dv.phase)("connected", dv.connected)(
        "star", dv.star_reference);
  }
  const models::AdcModelConfig& a = s.adc;
  t("bits", a.resolution_bits)("ref", a.reference_v)("bias", a.bias_v)("noise", a.noise_lsb_rms)(
      "offset", a.offset_lsb)("gain", a.gain_error_pct)("stuck", a.stuck_bit)("stuck_v", a.stuck_bit_value)(
      "clip", a.clip_lsb)("jitter", a.clock_jitter_ns)("adc_seed", a.seed)(
      "modulator_hz", s.rtl_adc.modulator_clock_hz);
  for (const auto& c : s.chargers) {
    const models::ChargerConfig& ch = c.charger;
    t("charger", ch.id).code("r0", ch.rotation[0]).code("r1", ch.rotation[1]).code("r2", ch.rotation[2])(
        "offline_a", ch.offline_current_a).code("offline_phase", ch.offline_phase)(
        "timeout_s", ch.link_timeout_s)("initial_a", ch.initial_setpoint_a);
    const models::CarConfig& car = ch.car;
    t("car_phases", car.phases)("max_a", car.max_current_a)("plugged_s", car.plugged_at_s)(
        "unplugged_s", car.unplugged_at_s)("wh", car.energy_needed_wh)("delay_s", car.response_delay_s)(
        "ramp", car.ramp_a_per_s)("ignores", car.ignores_limit);
    t.link("link", c.link).code("grid_phase", c.offline_grid_phase);
  }
  const fw::balancer::Settings& b = s.balancer.settings;
  for (const auto p : b.phase_order) t.code("order", p);
  t("online_a", b.max_current_per_phase_online_a)("offline_a", b.max_current_per_phase_offline_a)(
      "min_a", b.min_current_per_charger_a)("supply_a", b.supply_max_current_a)(
      "included", b.chargers_included_in_measurements)("peak", b.peak_adjustment_enabled)(
      "peak_w", b.initial_peak_limit_w)("nominal_v", b.nominal_phase_voltage_v)(
      "timeout_s", b.measurement_timeout_s)("ramp", b.ramp_up_a_per_s)("pause_s", b.min_pause_s)(
      "hyst", b.hysteresis_a)("rotation_s", b.rotation_period_s)("step", b.setpoint_step_a)(
      "cycle_s", s.balancer.cycle_s);
  const models::SiteNetworkConfig& n = s.network;
  t("lan", n.lan_connected)("wifi", n.wifi.present)("ssid", n.wifi.ssid)("pw", n.wifi.password)(
      "rssi", n.wifi.rssi_dbm)("band", n.wifi.band_ghz)("join_s", n.wifi.join_time_s)(
      "dhcp", n.dhcp_available)("dhcp_s", n.dhcp_time_s)("cloud", n.cloud_reachable)(
      "cloud_s", n.cloud_connect_time_s);
  t.link("telemetry", n.telemetry);
  const auto where = [&](const SourceRef& ref) { return with_lines ? ref.str() : std::string(); };
  for (const auto& st : s.steps) {
    t.code("step", st.kind)("from", st.start_ns)("to", st.end_ns)("line", where(st.where));
    for (const auto& set : st.sets) {
      t("set", set.signal)("value", set.value)("key", set.key)("save", set.save_as)(
          "restore", set.restore_from)("at", where(set.where));
    }
    for (const auto& e : st.expects) t("expect", e.signal)("is", e.describe())("at", where(e.where));
  }
  t("duration_ns", s.duration_ns)("check_ns", s.check_period_ns);
  return t.str();
}

void check_times(const Scenario& s, const std::string& what) {
  const auto ns = [&](SimTimeNs t, const std::string& name) { check_ns(t, what + ": " + name); };
  ns(s.duration_ns, "duration");
  ns(s.check_period_ns, "check_period");
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const Step& st = s.steps[i];
    const std::string name = "step " + std::to_string(i) + " (" + st.where.str() + ")";
    ns(st.start_ns, name + " start");
    ns(st.end_ns, name + " end");
    if (st.end_ns < st.start_ns) finding("step-ends-before-start", what + ": " + name);
    if (i > 0 && st.start_ns < s.steps[i - 1].start_ns) finding("steps-unsorted", what + ": " + name);
    if (st.end_ns > s.duration_ns) finding("step-after-duration", what + ": " + name);
  }
  for (const auto& c : s.solar) {
    check_seconds(c.ramp_start_s, what + ": plant.solar.ramp_start");
    check_seconds(c.ramp_duration_s, what + ": plant.solar.ramp_duration");
    for (const auto& cl : c.clouds) {
      check_seconds(cl.start_s, what + ": plant.solar.clouds.at");
      check_seconds(cl.duration_s, what + ": plant.solar.clouds.duration");
      check_seconds(cl.edge_s, what + ": plant.solar.clouds.edge");
    }
  }
  const auto link = [&](const models::LinkConfig& l, const std::string& name) {
    check_seconds(l.latency_s, what + ": " + name + ".latency");
    check_seconds(l.jitter_s, what + ": " + name + ".jitter");
    for (const auto& o : l.outages) {
      check_seconds(o.start_s, what + ": " + name + ".outages.at");
      check_seconds(o.duration_s, what + ": " + name + ".outages.duration");
    }
  };
  for (const auto& c : s.chargers) {
    const models::CarConfig& car = c.charger.car;
    check_seconds(car.plugged_at_s, what + ": car.plugged_at");
    if (car.unplugged_at_s) check_seconds(*car.unplugged_at_s, what + ": car.unplugged_at");
    check_seconds(car.response_delay_s, what + ": car.response_delay");
    check_seconds(c.charger.link_timeout_s, what + ": charger link timeout");
    link(c.link, "charger link");
  }
  link(s.network.telemetry, "network.telemetry");
  check_seconds(s.network.dhcp_time_s, what + ": network.dhcp_time");
  check_seconds(s.network.cloud_connect_time_s, what + ": network.cloud_connect_time");
  check_seconds(s.network.wifi.join_time_s, what + ": network.wifi.join_time");
  check_seconds(s.device.telemetry_period_s, what + ": device.telemetry_period");
  check_seconds(s.balancer.cycle_s, what + ": balancer cycle");
}

void check_error(const ScenarioError& e, const Fixture& fixture, const std::string& text) {
  const std::string message = e.what();
  const std::string root = fixture.root().string() + "/";
  if (message.rfind(root, 0) != 0) finding("error-names-no-file", message);
  const std::string input = fixture.input().string() + ":";
  if (message.rfind(input, 0) == 0) {
    // No number: the error is about the whole file (empty, unreadable).
    const long line = std::strtol(message.c_str() + input.size(), nullptr, 10);
    long lines = 1;
    for (const char c : text) lines += c == '\n';
    if (line < 0 || line > lines) {
      finding("error-names-wrong-line", message + " (the input has " + std::to_string(lines) + " lines)");
    }
  }
}

bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, code = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and code points past Unicode's end are not UTF-8.
    constexpr std::uint32_t kLeast[] = {0, 0x80, 0x800, 0x10000};
    if (code < kLeast[n] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
    i += n + 1;
  }
  return true;
}

bool same_tree(const ConfigNode& a, const ConfigNode& b) {
  if (a.type != b.type || a.scalar != b.scalar || a.items.size() != b.items.size() ||
      a.fields.size() != b.fields.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same_tree(a.items[i], b.items[i])) return false;
  }
  for (std::size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].first != b.fields[i].first || !same_tree(a.fields[i].second, b.fields[i].second)) {
      return false;
    }
  }
  return true;
}

void finding(const std::string& kind, const std::string& detail) {
  const char* skip = std::getenv("AMPRIG_FUZZ_SKIP");
  if (skip != nullptr && ("," + std::string(skip) + ",").find("," + kind + ",") != std::string::npos) {
    return;
  }
  std::fprintf(stderr, "amprig-fuzz: finding %s: %s\n", kind.c_str(), detail.c_str());
  std::abort();
}

}  // namespace amprig::fuzz
