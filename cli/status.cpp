// wardgate status [--socket PATH] [--staged]: one StatusRequest and one
// StatsRequest on the dataplane's management socket (blocking, with a
// timeout), printed as a short human summary; --staged prints the staged
// policy's differences per class pair instead (issue 13 part 3).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <map>
#include <ostream>
#include <tuple>

#include "commands.hpp"
#include "contract/paths.hpp"
#include "mgmt/frame.hpp"
#include "mgmt/messages.hpp"

namespace wg::cli {

namespace {

class Conn {
  public:
    explicit Conn(const std::string& path, int timeout_s) {
        sockaddr_un sa{};
        if (path.size() >= sizeof sa.sun_path)
            throw std::runtime_error("socket path too long: " + path);
        fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        timeval tv{timeout_s, 0};
        setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sa.sun_family = AF_UNIX;
        std::memcpy(sa.sun_path, path.c_str(), path.size());
        if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
            throw std::runtime_error("cannot connect to the dataplane at " + path + ": " +
                                     std::strerror(errno) + " (is wardgate-dataplane running?)");
    }
    ~Conn() {
        if (fd_ >= 0) close(fd_);
    }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    mgmt::Frame call(mgmt::MsgType type, mgmt::MsgType expect) {
        uint32_t id = ++next_id_;
        auto bytes = mgmt::encode_frame(type, id, {});
        size_t off = 0;
        while (off < bytes.size()) {
            ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error(std::string("send: ") + std::strerror(errno));
            off += size_t(n);
        }
        for (;;) {
            if (auto f = dec_.next()) {
                if (f->request_id != id)
                    continue;  // not ours (should not happen on a fresh socket)
                if (f->type == mgmt::MsgType::Error) {
                    auto e = mgmt::decode_error(f->payload);
                    throw std::runtime_error("dataplane error " + std::to_string(e.code) + ": " +
                                             e.message);
                }
                if (f->type != expect) throw std::runtime_error("unexpected response type");
                return std::move(*f);
            }
            uint8_t buf[65536];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                throw std::runtime_error("timed out waiting for the dataplane");
            if (n <= 0) throw std::runtime_error("the dataplane closed the connection");
            dec_.feed({buf, size_t(n)});
        }
    }

  private:
    int fd_ = -1;
    uint32_t next_id_ = 0;
    mgmt::FrameDecoder dec_;
};

std::string duration(uint64_t ns) {
    uint64_t s = ns / 1000000000ull;
    std::string out;
    if (s >= 86400) out += std::to_string(s / 86400) + "d ";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu", (unsigned long long)(s % 86400 / 3600),
                  (unsigned long long)(s % 3600 / 60), (unsigned long long)(s % 60));
    return out + buf;
}

std::string utc(uint64_t ns) {
    if (ns == 0) return "-";
    const time_t t = static_cast<time_t>(ns / 1000000000ull);
    tm tmv{};
    gmtime_r(&t, &tmv);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    return buf;
}

// The staged policy's differences, summed per class pair over the pairs of
// the policies running now (older generations are in the metrics).
void print_staged(const mgmt::Status& st, const stats::Snapshot& sn, std::ostream& out) {
    const auto& g = sn.staged;
    if (g.generation == 0) {
        out << "staged policy: none\n";
        return;
    }
    out << "staged policy: generation " << g.generation << ", content " << g.hash.substr(0, 12)
        << (g.commit.empty() ? "" : ", commit " + g.commit.substr(0, 12)) << "\n";
    out << "enforced policy: generation " << st.policy_generation << ", content "
        << st.policy_hash.substr(0, 12) << "\n";
    if (!st.policy_hash.empty() && g.hash == st.policy_hash)
        out << "the staged policy equals the enforced one (promoted): no new difference can "
               "appear\n";
    out << "new flows judged by both: " << g.evaluated;
    if (g.overflow) out << ", differences not counted per pair (table full): " << g.overflow;
    out << "\n";
    using Key = std::tuple<std::string, std::string, std::string, std::string>;
    struct Row {
        uint64_t deny = 0, allow = 0, first = 0;
    };
    std::map<Key, Row> rows;
    for (const auto& p : g.pairs) {
        if (p.enforced_generation != st.policy_generation || p.staged_generation != g.generation)
            continue;
        auto& r = rows[{p.enforced_src, p.enforced_dst, p.staged_src, p.staged_dst}];
        r.deny += p.would_deny;
        r.allow += p.would_allow;
        if (!r.first || (p.first_seen_ns && p.first_seen_ns < r.first)) r.first = p.first_seen_ns;
    }
    if (rows.empty()) {
        out << "no difference: every new flow since these two policies were loaded got the same "
               "treatment from both\n";
        return;
    }
    out << std::left << std::setw(44) << "class pair (enforced; staged if renamed)" << std::right
        << std::setw(18) << "would-newly-deny" << std::setw(19) << "would-newly-allow"
        << "  first seen\n";
    for (const auto& [k, r] : rows) {
        const auto& [es, ed, ss, sd] = k;
        std::string pair = es + " -> " + ed;
        if (ss != es || sd != ed) pair += " (" + ss + " -> " + sd + ")";
        out << std::left << std::setw(44) << pair << std::right << std::setw(18) << r.deny
            << std::setw(19) << r.allow << "  " << utc(r.first) << "\n";
    }
}

}  // namespace

int status(const Args& args, std::ostream& out, std::ostream& err) {
    std::string path = contract::kDataplaneSocket;
    int timeout = 5;
    bool staged = false;
    opt::Table ot("usage: wardgate status [--socket PATH] [--timeout S] [--staged]");
    ot.str({"--socket"}, "PATH", path, "dataplane management socket (default " + path + ")");
    ot.flag({"--staged"}, staged,
            "the staged policy's differences per class pair (would-newly-deny,\n"
            "would-newly-allow, first seen)");
    add_timeout_option(ot, timeout, "wait this long for the dataplane (default 5)");
    if (int rc = parse_args(ot, "status", args, nullptr, out, err); rc >= 0) return rc;
    try {
        Conn c(path, timeout);
        auto st = mgmt::decode_status(
            c.call(mgmt::MsgType::StatusRequest, mgmt::MsgType::StatusResponse).payload);
        auto sn = mgmt::decode_stats(
            c.call(mgmt::MsgType::StatsRequest, mgmt::MsgType::StatsResponse).payload);
        if (staged) {
            print_staged(st, sn, out);
            return kExitOk;
        }
        out << "dataplane " << st.version << " pid " << st.pid << ", up " << duration(st.uptime_ns)
            << ", " << st.workers << " worker(s), mode " << st.mode << "\n";
        if (st.policy_generation == 0) {
            out << "policy: none installed\n";
        } else {
            out << "policy: generation " << st.policy_generation << ", content "
                << st.policy_hash.substr(0, 12)
                << (st.policy_commit.empty() ? "" : ", commit " + st.policy_commit.substr(0, 12))
                << "\n";
        }
        if (st.image_state == "rejected" || st.image_state == "missing" ||
            st.image_state == "loaded-previous")
            out << "policy image at start: " << st.image_state << ": " << st.image_error << "\n";
        // Start-up hazards that make forwarding fail silently (checksum
        // offload on an af_packet port): said here, not only in the log.
        for (auto& w : st.warnings) out << "WARNING " << w << "\n";
        out << "ports:\n";
        for (auto& p : sn.ports)
            out << "  " << std::left << std::setw(9) << p.role << std::setw(20) << p.name << " rx "
                << p.rx_packets << " pkts, tx " << p.tx_packets << " pkts, tx dropped "
                << p.tx_dropped << ", rx missed " << p.rx_missed << ", rx errors " << p.rx_errors
                << "\n";
        if (!sn.classes.empty()) {
            out << "classes (packets allowed / denied / would-deny / bypassed):\n";
            for (auto& c : sn.classes)
                out << "  " << std::left << std::setw(20) << c.cls << " " << c.packets[0] << " / "
                    << c.packets[1] << " / " << c.packets[2] << " / " << c.packets[3] << "\n";
        }
        auto named = [&](const char* title, const std::vector<stats::NamedCount>& v) {
            if (v.empty()) return;
            out << title << ":";
            for (auto& n : v) out << " " << n.name << "=" << n.value;
            out << "\n";
        };
        named("drops", sn.drops);
        named("gauges", sn.gauges);
        named("counters", sn.counters);
        for (size_t i = 0; i < sn.workers.size(); ++i) {
            const auto& w = sn.workers[i];
            double busy =
                w.total_cycles ? 100.0 * double(w.busy_cycles) / double(w.total_cycles) : 0;
            out << "worker " << i << " lcore " << w.lcore << ": " << std::fixed
                << std::setprecision(1) << busy << "% busy, heartbeat " << w.heartbeat;
            if (w.has_flows)  // each flow lives on one worker: how RSS spread them
                out << ", " << w.packets << " pkts, flows created " << w.flows_created << ", live "
                    << w.flow_entries;
            out << "\n";
        }
    } catch (const std::exception& e) {
        err << "wardgate status: " << e.what() << "\n";
        return kExitFindings;
    }
    return kExitOk;
}

}  // namespace wg::cli
