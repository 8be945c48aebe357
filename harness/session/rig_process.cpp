#include "session/rig_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>

#include "rig/sim_log.h"
#include "scenario/expectation_check.h"

namespace amprig {
namespace {

// ---- the wire: length-prefixed messages of tagged fields -------------------------------------

enum class Op : std::uint8_t { run = 1, time, get, set, signals, trace_start, trace_stop, trace, check, close };
enum class Reply : std::uint8_t { ok = 0, key_error, value_error, scenario_error, expectation, runtime_error };

class Writer {
 public:
  Writer& u8(std::uint8_t v) { m_buf.push_back(static_cast<char>(v)); return *this; }
  Writer& i64(std::int64_t v) { m_buf.append(reinterpret_cast<const char*>(&v), sizeof v); return *this; }
  Writer& f64(double v) { m_buf.append(reinterpret_cast<const char*>(&v), sizeof v); return *this; }
  Writer& str(const std::string& s) { i64(static_cast<std::int64_t>(s.size())); m_buf += s; return *this; }
  Writer& value(const Value& v) {
    if (const auto* d = std::get_if<double>(&v)) return u8(0).f64(*d);
    if (const auto* b = std::get_if<bool>(&v)) return u8(1).u8(*b ? 1 : 0);
    return u8(2).str(std::get<std::string>(v));
  }
  Writer& failure(const Failure& f) {
    return str(f.where).str(f.signal).str(f.expected).str(f.actual).f64(f.time_s).str(f.message);
  }
  const std::string& bytes() const { return m_buf; }

 private:
  std::string m_buf;
};

class Reader {
 public:
  explicit Reader(const std::string& buf) : m_buf(buf) {}
  std::uint8_t u8() { need(1); return static_cast<std::uint8_t>(m_buf[m_pos++]); }
  std::int64_t i64() { std::int64_t v; copy(&v, sizeof v); return v; }
  double f64() { double v; copy(&v, sizeof v); return v; }
  std::string str() {
    const auto n = static_cast<std::size_t>(i64());
    need(n);
    std::string s = m_buf.substr(m_pos, n);
    m_pos += n;
    return s;
  }
  Value value() {
    switch (u8()) {
      case 0: return f64();
      case 1: return u8() != 0;
      default: return str();
    }
  }
  Failure failure() {
    Failure f;
    f.where = str();
    f.signal = str();
    f.expected = str();
    f.actual = str();
    f.time_s = f64();
    f.message = str();
    return f;
  }

 private:
  void need(std::size_t n) const {
    if (m_pos + n > m_buf.size()) throw RigProcessError("malformed message from the rig's process");
  }
  void copy(void* out, std::size_t n) {
    need(n);
    std::memcpy(out, m_buf.data() + m_pos, n);
    m_pos += n;
  }
  const std::string& m_buf;
  std::size_t m_pos = 0;
};

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    // No SIGPIPE if the other side has gone: that is a failed send, said by the return value.
    const ssize_t k = ::send(fd, data, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;
    data += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

// Set while the owner waits for a reply: says whether a signal asks the wait to stop.
thread_local const std::function<bool()>* t_interrupted = nullptr;

struct Interrupted {};

bool read_all(int fd, char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::read(fd, data, n);
    if (k < 0 && errno == EINTR) {
      if (t_interrupted && (*t_interrupted)()) throw Interrupted{};
      continue;
    }
    if (k <= 0) return false;
    data += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

bool send_message(int fd, const std::string& body) {
  // One write per message: the other side wakes once.
  const auto n = static_cast<std::uint64_t>(body.size());
  std::string framed(reinterpret_cast<const char*>(&n), sizeof n);
  framed += body;
  return write_all(fd, framed.data(), framed.size());
}

bool receive_message(int fd, std::string& body) {
  std::uint64_t n = 0;
  if (!read_all(fd, reinterpret_cast<char*>(&n), sizeof n)) return false;
  body.resize(n);
  return read_all(fd, body.data(), n);
}

void write_expectation(Writer& w, const Expectation& e) {
  w.str(e.signal).u8(static_cast<std::uint8_t>(e.kind)).str(e.exact);
  w.u8(e.value ? 1 : 0).f64(e.value.value_or(0)).str(e.value_signal);
  w.f64(e.tolerance_pct).f64(e.tolerance_abs);
  w.u8(e.min ? 1 : 0).f64(e.min.value_or(0)).u8(e.max ? 1 : 0).f64(e.max.value_or(0));
  w.f64(e.low).f64(e.high).str(e.where.file).i64(e.where.line);
}

Expectation read_expectation(Reader& r) {
  Expectation e;
  e.signal = r.str();
  e.kind = static_cast<Expectation::Kind>(r.u8());
  e.exact = r.str();
  const bool has_value = r.u8() != 0;
  const double value = r.f64();
  if (has_value) e.value = value;
  e.value_signal = r.str();
  e.tolerance_pct = r.f64();
  e.tolerance_abs = r.f64();
  const bool has_min = r.u8() != 0;
  const double min = r.f64();
  if (has_min) e.min = min;
  const bool has_max = r.u8() != 0;
  const double max = r.f64();
  if (has_max) e.max = max;
  e.low = r.f64();
  e.high = r.f64();
  e.where.file = r.str();
  e.where.line = static_cast<int>(r.i64());
  return e;
}

// ---- the rig's process ------------------------------------------------------------------------

std::string error_reply(Reply kind, const std::string& message) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(kind)).str(message);
  return w.bytes();
}

// One request. After the first sc_start nothing here throws on a bad request: each error is a
// reply made in place. (Debian's SystemC switches coroutine stacks that AddressSanitizer does not
// know of; an exception thrown after that is misjudged as a stack overflow.)
std::string serve_one(Session& session, const std::string& request) {
  Reader in(request);
  Writer out;
  out.u8(static_cast<std::uint8_t>(Reply::ok));
  SignalRegistry& signals = session.signals();
  switch (static_cast<Op>(in.u8())) {
    case Op::run: {
      const double seconds = in.f64();
      if (auto problem = duration_problem(seconds, "run()'s seconds")) {
        return error_reply(Reply::value_error, *problem);
      }
      if (auto problem = end_problem(session.time_s(), seconds, "a run")) {
        return error_reply(Reply::value_error, *problem);
      }
      std::string step_error;
      const auto failures = session.run(seconds, &step_error);
      if (!step_error.empty()) return error_reply(Reply::scenario_error, step_error);
      if (!failures.empty()) {
        Writer fail;
        fail.u8(static_cast<std::uint8_t>(Reply::expectation)).i64(static_cast<std::int64_t>(failures.size()));
        for (const auto& f : failures) fail.failure(f);
        return fail.bytes();
      }
      break;
    }
    case Op::time:
      out.f64(session.time_s());
      break;
    case Op::get: {
      const std::string name = in.str();
      const Signal* s = signals.find(name);
      if (s == nullptr) return error_reply(Reply::key_error, signals.unknown_name_message(name));
      out.value(s->get());
      break;
    }
    case Op::set: {
      const std::string name = in.str();
      const Value value = in.value();
      const Signal* s = signals.find(name);
      if (s == nullptr) return error_reply(Reply::key_error, signals.unknown_name_message(name));
      if (!s->settable()) {
        return error_reply(Reply::value_error, name + " is read-only (a measurement, not an input)");
      }
      // Through the text form, so that a value of the wrong type or out of range gets the same
      // message as in a YAML file. %.17g gives a double back exactly.
      std::string text;
      if (const auto* d = std::get_if<double>(&value)) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.17g", *d);
        text = buffer;
      } else if (const auto* b = std::get_if<bool>(&value)) {
        if (s->type == SignalType::number) {
          return error_reply(Reply::value_error,
                             name + " takes a number, not " + (*b ? "True" : "False"));
        }
        text = *b ? "true" : "false";
      } else {
        text = std::get<std::string>(value);
      }
      Value parsed;
      std::string error;
      if (!try_parse_value(*s, text, &parsed, &error)) return error_reply(Reply::value_error, error);
      s->set(parsed);
      break;
    }
    case Op::signals: {
      const auto all = signals.all();
      out.i64(static_cast<std::int64_t>(all.size()));
      for (const Signal* s : all) {
        out.str(s->name).str(describe_type(*s)).u8(static_cast<std::uint8_t>(s->type)).str(s->unit);
        out.i64(static_cast<std::int64_t>(s->choices.size()));
        for (const auto& c : s->choices) out.str(c);
        out.u8(s->settable() ? 1 : 0).u8(s->fault ? 1 : 0).str(s->description);
      }
      break;
    }
    case Op::trace_start: {
      std::vector<std::string> names(static_cast<std::size_t>(in.i64()));
      for (auto& n : names) n = in.str();
      const double period = in.f64();
      const std::string vcd = in.str();
      std::string error;
      bool unknown = false;
      const int id = session.start_trace(names, period, vcd, &error, &unknown);
      if (id == 0) return error_reply(unknown ? Reply::key_error : Reply::value_error, error);
      out.i64(id);
      break;
    }
    case Op::trace_stop:
      if (!session.stop_trace(static_cast<int>(in.i64()))) {
        return error_reply(Reply::value_error, "no such trace");
      }
      break;
    case Op::trace: {
      const TraceData* found = session.trace(static_cast<int>(in.i64()));
      if (found == nullptr) return error_reply(Reply::value_error, "no such trace");
      const TraceData& t = *found;
      out.i64(static_cast<std::int64_t>(t.names.size())).i64(static_cast<std::int64_t>(t.time_s.size()));
      for (const double x : t.time_s) out.f64(x);
      for (std::size_t i = 0; i < t.names.size(); ++i) {
        out.str(t.names[i]).u8(static_cast<std::uint8_t>(t.types[i]));
        if (t.types[i] == SignalType::number || t.types[i] == SignalType::boolean) {
          for (const double x : t.numbers[i]) out.f64(x);
        } else {
          for (const auto& s : t.texts[i]) out.str(s);
        }
      }
      break;
    }
    case Op::check: {
      const Expectation e = read_expectation(in);
      const auto kind = static_cast<Step::Kind>(in.u8());
      const double window = in.f64();
      if (signals.find(e.signal) == nullptr) {
        return error_reply(Reply::key_error, signals.unknown_name_message(e.signal));
      }
      if (auto problem = expectation_problem(signals, e)) {
        return error_reply(Reply::scenario_error, problem->what());
      }
      if (auto problem = duration_problem(window, "the window")) {
        return error_reply(Reply::value_error, *problem);
      }
      if (auto problem = end_problem(session.time_s(), window, "a window")) {
        return error_reply(Reply::value_error, *problem);
      }
      const CheckOutcome o = session.check(e, kind, window);
      out.u8(o.held ? 1 : 0);
      if (!o.held) out.failure(o.failure);
      break;
    }
    case Op::close:
      break;
  }
  return out.bytes();
}

// Runs `work`, turning what it throws into the reply the parent turns back into the same error.
template <typename F>
std::string guarded(F&& work) {
  try {
    return work();
  } catch (const ScenarioError& e) {
    return error_reply(Reply::scenario_error, e.what());
  } catch (const std::out_of_range& e) {
    return error_reply(Reply::key_error, e.what());
  } catch (const std::invalid_argument& e) {
    return error_reply(Reply::value_error, e.what());
  } catch (const sc_core::sc_report& e) {
    return error_reply(Reply::runtime_error, std::string("SystemC: ") + e.what());
  } catch (const std::exception& e) {
    return error_reply(Reply::runtime_error, e.what());
  }
}

[[noreturn]] void serve(int fd, const Scenario& scenario) {
  std::unique_ptr<Session> session;
  const std::string hello = guarded([&] {
    install_systemc_report_handler();
    session = std::make_unique<Session>(scenario);
    Writer w;
    w.u8(static_cast<std::uint8_t>(Reply::ok));
    return w.bytes();
  });
  if (!send_message(fd, hello) || !session) _exit(0);
  std::string request;
  while (receive_message(fd, request)) {
    const bool closing = !request.empty() && static_cast<Op>(request[0]) == Op::close;
    const std::string reply = guarded([&] { return serve_one(*session, request); });
    std::fflush(nullptr);
    if (!send_message(fd, reply) || closing) break;
  }
  std::fflush(nullptr);
  // Straight out: no destructors of the parent's objects run here, nor SystemC's teardown.
  _exit(0);
}

}  // namespace

ExpectationFailed::ExpectationFailed(std::vector<Failure> failures)
    : std::runtime_error(failures.empty() ? std::string("expectation failed") : failures.front().message),
      m_failures(std::move(failures)) {}

RigProcess::RigProcess(const Scenario& scenario) : m_owner(getpid()) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
    throw std::runtime_error(std::string("cannot make the rig's socket: ") + std::strerror(errno));
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("cannot start the rig's process: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The rig's process keeps standard input and output and its own socket, as fd 3, and no
    // other file of its owner's (a pipe the owner waits on must not stay open here). It ends
    // when its socket does: when the owner closes the rig or dies.
    if (fds[1] != 3 && dup2(fds[1], 3) != 3) _exit(1);
    close_range(4, ~0U, 0);
    // The owner's handlers (Ctrl-C, a crash handler such as Python's faulthandler) are not ours.
    for (const int sig : {SIGINT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGALRM, SIGTERM}) {
      signal(sig, SIG_DFL);
    }
    signal(SIGINT, SIG_IGN);
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    serve(3, scenario);
  }
  ::close(fds[1]);
  m_fd = fds[0];
  m_pid = pid;
  std::string reply;
  if (!receive_message(m_fd, reply)) died();
  Reader in(reply);
  const auto kind = static_cast<Reply>(in.u8());
  if (kind != Reply::ok) {
    const std::string message = in.str();
    close();
    if (kind == Reply::scenario_error) throw ScenarioError(message);
    throw std::runtime_error("the rig could not be built: " + message);
  }
}

void RigProcess::set_interrupt_check(const std::function<bool()>* check) { t_interrupted = check; }

RigProcess::~RigProcess() {
  try {
    close();
  } catch (...) {
  }
}

void RigProcess::check_owner() const {
  const pid_t here = getpid();
  if (here == m_owner) return;
  throw RigProcessError("this rig belongs to process " + std::to_string(m_owner) +
                        "; process " + std::to_string(here) +
                        " is a fork of it (os.fork, multiprocessing) and cannot use it: "
                        "build a rig of its own there");
}

void RigProcess::close() {
  if (getpid() != m_owner) {
    // The owner's rig is not ours to end: drop this process's copy of its socket (the mutex may
    // have been copied locked by the fork, so it is not taken here).
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
    return;
  }
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (m_fd < 0) return;
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::close));
  std::string reply;
  if (send_message(m_fd, w.bytes())) receive_message(m_fd, reply);
  ::close(m_fd);
  m_fd = -1;
  int status = 0;
  while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void RigProcess::died() {
  std::string why = "the rig's process ended";
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
  int status = 0;
  if (m_pid > 0 && waitpid(m_pid, &status, 0) == m_pid) {
    if (WIFSIGNALED(status)) {
      why = std::string("the rig's process died: ") + strsignal(WTERMSIG(status));
    } else if (WIFEXITED(status)) {
      why += " (exit code " + std::to_string(WEXITSTATUS(status)) + ")";
    }
  }
  throw RigProcessError(why);
}

std::string RigProcess::call(const std::string& request) {
  check_owner();
  const std::lock_guard<std::mutex> lock(m_mutex);
  if (m_fd < 0) throw RigProcessError("the rig is closed");
  std::string reply;
  bool received = false;
  try {
    received = send_message(m_fd, request) && receive_message(m_fd, reply);
  } catch (const Interrupted&) {
    // The reply would come later than anyone waits for it: the rig ends here.
    kill(m_pid, SIGKILL);
    ::close(m_fd);
    m_fd = -1;
    int status = 0;
    while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw RigInterrupted("the rig was stopped by a signal in the middle of a request, and closed");
  }
  if (!received) died();
  Reader in(reply);
  const auto kind = static_cast<Reply>(in.u8());
  switch (kind) {
    case Reply::ok:
      return reply.substr(1);
    case Reply::expectation: {
      std::vector<Failure> failures(static_cast<std::size_t>(in.i64()));
      for (auto& f : failures) f = in.failure();
      throw ExpectationFailed(std::move(failures));
    }
    case Reply::key_error: throw std::out_of_range(in.str());
    case Reply::value_error: throw std::invalid_argument(in.str());
    case Reply::scenario_error: throw ScenarioError(in.str());
    case Reply::runtime_error: throw std::runtime_error(in.str());
  }
  throw RigProcessError("malformed reply from the rig's process");
}

namespace {

// Checked here, in the owner's process, so that the rig's process never sees a bad duration.
void check_seconds(double seconds, const char* what) {
  if (auto problem = duration_problem(seconds, what)) throw std::invalid_argument(*problem);
}

}  // namespace

void RigProcess::run(double seconds) {
  check_seconds(seconds, "run()'s seconds");
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::run)).f64(seconds);
  call(w.bytes());
}

double RigProcess::time_s() {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::time));
  const std::string reply = call(w.bytes());
  return Reader(reply).f64();
}

Value RigProcess::get(const std::string& name) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::get)).str(name);
  const std::string reply = call(w.bytes());
  return Reader(reply).value();
}

void RigProcess::set(const std::string& name, const Value& value) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::set)).str(name).value(value);
  call(w.bytes());
}

std::vector<SignalInfo> RigProcess::signals() {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::signals));
  const std::string reply = call(w.bytes());
  Reader in(reply);
  std::vector<SignalInfo> out(static_cast<std::size_t>(in.i64()));
  for (auto& s : out) {
    s.name = in.str();
    s.type = in.str();
    s.kind = static_cast<SignalType>(in.u8());
    s.unit = in.str();
    s.choices.resize(static_cast<std::size_t>(in.i64()));
    for (auto& c : s.choices) c = in.str();
    s.settable = in.u8() != 0;
    s.fault = in.u8() != 0;
    s.description = in.str();
  }
  return out;
}

int RigProcess::start_trace(const std::vector<std::string>& names, double period_s,
                            const std::string& vcd_path) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::trace_start)).i64(static_cast<std::int64_t>(names.size()));
  for (const auto& n : names) w.str(n);
  w.f64(period_s).str(vcd_path);
  const std::string reply = call(w.bytes());
  return static_cast<int>(Reader(reply).i64());
}

void RigProcess::stop_trace(int id) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::trace_stop)).i64(id);
  call(w.bytes());
}

TraceData RigProcess::trace(int id) {
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::trace)).i64(id);
  const std::string reply = call(w.bytes());
  Reader in(reply);
  TraceData t;
  const auto signals = static_cast<std::size_t>(in.i64());
  const auto samples = static_cast<std::size_t>(in.i64());
  t.time_s.resize(samples);
  for (auto& x : t.time_s) x = in.f64();
  t.numbers.resize(signals);
  t.texts.resize(signals);
  for (std::size_t i = 0; i < signals; ++i) {
    t.names.push_back(in.str());
    t.types.push_back(static_cast<SignalType>(in.u8()));
    if (t.types[i] == SignalType::number || t.types[i] == SignalType::boolean) {
      t.numbers[i].resize(samples);
      for (auto& x : t.numbers[i]) x = in.f64();
    } else {
      t.texts[i].resize(samples);
      for (auto& s : t.texts[i]) s = in.str();
    }
  }
  return t;
}

CheckOutcome RigProcess::check(const Expectation& e, Step::Kind kind, double window_s) {
  check_seconds(window_s, "the window");
  Writer w;
  w.u8(static_cast<std::uint8_t>(Op::check));
  write_expectation(w, e);
  w.u8(static_cast<std::uint8_t>(kind)).f64(window_s);
  const std::string reply = call(w.bytes());
  Reader in(reply);
  CheckOutcome o;
  o.held = in.u8() != 0;
  if (!o.held) o.failure = in.failure();
  return o;
}

}  // namespace amprig
