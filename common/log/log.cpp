#include "log/log.hpp"

#include <syslog.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace wg::log {

namespace {
Sink g_sink = stderr_sink;

void syslog_sink(Level l, const std::string& line) {
    stderr_sink(l, line);
    ::syslog(static_cast<int>(l), "%s", line.c_str());
}
}  // namespace

const char* level_name(Level l) {
    static constexpr const char* kNames[] = {"EMERG",   "ALERT",  "CRIT", "ERR",
                                             "WARNING", "NOTICE", "INFO", "DEBUG"};
    const auto i = static_cast<unsigned>(l);
    return i < 8 ? kNames[i] : "DEBUG";
}

std::string format_line(Level l, std::string_view component, std::string_view message) {
    while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
    std::string s = level_name(l);
    s.reserve(s.size() + component.size() + message.size() + 3);
    s += ' ';
    s += component;
    s += ": ";
    s += message;
    return s;
}

void set_sink(Sink s) {
    g_sink = s ? s : stderr_sink;
}

void stderr_sink(Level, const std::string& line) {
    // One write per line so lines from threads do not interleave.
    std::string l = line + "\n";
    std::fwrite(l.data(), 1, l.size(), stderr);
    std::fflush(stderr);
}

void use_stderr_and_syslog(const char* ident) {
    ::openlog(ident, LOG_PID, LOG_DAEMON);
    g_sink = syslog_sink;
}

void write(Level l, std::string_view component, std::string_view message) {
    g_sink(l, format_line(l, component, message));
}

void logf(Level l, const char* component, const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (size_t(n) < sizeof buf) {
        write(l, component, std::string_view(buf, size_t(n)));
        return;
    }
    std::vector<char> big(size_t(n) + 1);
    va_start(ap, fmt);
    std::vsnprintf(big.data(), big.size(), fmt, ap);
    va_end(ap);
    write(l, component, std::string_view(big.data(), size_t(n)));
}

}  // namespace wg::log
