// One log line shape for every wardgate process, so journald and SIEMs can
// filter on it:  `<LEVEL> <component>: <message>`, e.g.
//   ERR dataplane.policy: image rejected: bad magic
//   NOTICE controlplane.reload: reload #3: ok, generation 4
// Levels are syslog's. Where a line goes is the process's sink: the
// dataplane's sends it through DPDK's log (type "wardgate.dp", so EAL's
// --log-level controls it), the control plane's to stderr (journald) and,
// with --log-syslog, to syslog. Not for the dataplane hot path (formats,
// may write).
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace wg::log {

// syslog(3) priorities.
enum class Level { Emerg = 0, Alert, Crit, Err, Warning, Notice, Info, Debug };

const char* level_name(Level l);  // "ERR", "WARNING", ...
// "<LEVEL> <component>: <message>" (no newline; a trailing one in the
// message is dropped).
std::string format_line(Level l, std::string_view component, std::string_view message);

// Receives each formatted line; installed once at start (not thread-safe to
// change while others log).
using Sink = void (*)(Level, const std::string& line);
void set_sink(Sink s);
void stderr_sink(Level, const std::string& line);  // the default
// stderr, and syslog (LOG_DAEMON) with the given ident.
void use_stderr_and_syslog(const char* ident);

void write(Level l, std::string_view component, std::string_view message);
// printf-style, for one-line replacements of printf calls.
void logf(Level l, const char* component, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Stream-style: `log::Line(log::Level::Err, "controlplane") << "x " << y;`
// writes one line when the statement ends.
class Line {
  public:
    Line(Level l, const char* component) : level_(l), component_(component) {}
    ~Line() { write(level_, component_, out_.str()); }
    Line(const Line&) = delete;
    Line& operator=(const Line&) = delete;
    template <typename T>
    Line& operator<<(const T& v) {
        out_ << v;
        return *this;
    }

  private:
    Level level_;
    const char* component_;
    std::ostringstream out_;
};

}  // namespace wg::log
