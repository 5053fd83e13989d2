// The watchdog end to end on in-memory ring ports: a worker thread that
// forwards with the real guarded RX/TX, a stall injected through the real
// test latch, the supervisor taking the queues, forwarding in bypass, and
// handing them back; no frame lost, none duplicated, the queues never
// polled by two threads, the hardware watchdog kicked only while healthy.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "safety/hw_bypass.hpp"
#include "safety/queue_guard.hpp"
#include "safety/supervisor.hpp"
#include "safety/worker_safety.hpp"

using namespace wg::safety;
using namespace std::chrono_literals;

namespace {

// Counts kicks; "armed" so the supervisor's gating is observable.
class FakeHw final : public HwBypass {
  public:
    const char* name() const override { return "fake"; }
    bool armed() const override { return true; }
    void kick() override { count_kick(); }
    void release() override { released = true; }
    bool released = false;
};

rte_mempool* pool() {
    static rte_mempool* mp =
        rte_pktmbuf_pool_create("wg_saf_sup", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
    REQUIRE(mp);
    return mp;
}

struct RingPort {
    rte_ring* rx;  // frames "arriving" on the port
    rte_ring* tx;  // frames the port "sent"
    uint16_t id;
};

RingPort make_port(const std::string& name) {
    RingPort p{};
    p.rx = rte_ring_create((name + "_rx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    p.tx = rte_ring_create((name + "_tx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    REQUIRE(p.rx);
    REQUIRE(p.tx);
    const int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, 0);
    REQUIRE(id >= 0);
    p.id = static_cast<uint16_t>(id);
    // Configured and started like a real port: ethdev installs the burst
    // functions at start.
    rte_eth_conf conf{};
    REQUIRE(rte_eth_dev_configure(p.id, 1, 1, &conf) == 0);
    REQUIRE(rte_eth_rx_queue_setup(p.id, 0, 1024, 0, nullptr, pool()) == 0);
    REQUIRE(rte_eth_tx_queue_setup(p.id, 0, 1024, 0, nullptr) == 0);
    return p;
}

void inject(const RingPort& p, uint32_t first, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
        rte_mbuf* m = rte_pktmbuf_alloc(pool());
        REQUIRE(m);
        char* d = rte_pktmbuf_append(m, 64);
        REQUIRE(d);
        const uint32_t id = first + i;
        std::memcpy(d, &id, sizeof(id));
        REQUIRE(rte_ring_enqueue(p.rx, m) == 0);
    }
}

// Collects the sequence numbers sent on `p` into `seen`; returns how many
// were duplicates.
unsigned collect(const RingPort& p, std::multiset<uint32_t>& seen) {
    void* m;
    unsigned dup = 0;
    while (rte_ring_dequeue(p.tx, &m) == 0) {
        auto* mb = static_cast<rte_mbuf*>(m);
        const uint32_t id = *rte_pktmbuf_mtod(mb, uint32_t*);
        dup += seen.count(id) != 0;
        seen.insert(id);
        rte_pktmbuf_free(mb);
    }
    return dup;
}

template <class F>
bool wait_for(F&& cond, std::chrono::milliseconds limit = 5000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (cond()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return cond();
}

// The worker loop's queue discipline, as dataplane/worker.cpp runs it.
struct SimWorker {
    WorkerSafety* ws;
    uint16_t port[2];
    uint64_t heartbeat = 0;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> sent{0}, handed{0}, dropped{0};
    std::thread th;

    void run() {
        rte_mbuf* pkts[32];
        while (!stop.load(std::memory_order_relaxed)) {
            for (unsigned side = 0; side < 2; ++side) {
                const uint16_t n = guarded_rx(*ws, port[side], 0, pkts, 32);
                if (!n) continue;
                ws->maybe_stall();  // a hang while holding the burst
                TxResult r = guarded_tx(*ws, side ^ 1u, port[side ^ 1u], 0, pkts, n);
                sent += r.sent + r.flushed;
                handed += r.handed_off;
                dropped += r.dropped + r.flush_dropped;
            }
            __atomic_store_n(&heartbeat, heartbeat + 1, __ATOMIC_RELEASE);
        }
    }
};

}  // namespace

TEST_CASE("queue guard: the supervisor waits for a worker inside a queue access") {
    QueueGuard g;
    REQUIRE(g.enter());  // worker inside rx_burst
    CHECK_FALSE(g.take());
    CHECK_FALSE(g.settled());
    g.leave();
    CHECK(g.settled());
    CHECK_FALSE(g.enter());  // taken: the worker backs off
    CHECK(g.settled());      // and backing off leaves busy clear
    g.give_back();
    CHECK(g.enter());
    g.leave();
}

TEST_CASE("queue guard: worker and supervisor are never inside together") {
    QueueGuard g;
    std::atomic<int> inside{0};
    std::atomic<int> worst{0};
    std::atomic<bool> done{false};
    std::atomic<uint64_t> worker_turns{0}, sup_turns{0};
    auto note = [&] {
        const int now = inside.fetch_add(1) + 1;
        int w = worst.load();
        while (now > w && !worst.compare_exchange_weak(w, now)) {
        }
        for (int k = 0; k < 20; ++k) rte_pause();
        inside.fetch_sub(1);
    };
    std::thread worker([&] {
        while (!done.load(std::memory_order_relaxed)) {
            if (g.enter()) {
                note();
                ++worker_turns;
                g.leave();
            }
        }
    });
    for (int i = 0; i < 20000; ++i) {
        g.take();
        while (!g.settled()) {
        }
        note();
        ++sup_turns;
        g.give_back();
    }
    // The worker thread may not have been scheduled yet on a loaded machine:
    // with the queue given back it must get in (bounded wait, not a timing
    // assertion: only "eventually", within 10 s).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (worker_turns.load() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    done = true;
    worker.join();
    CHECK(worst.load() == 1);
    CHECK(sup_turns.load() == 20000);
    CHECK(worker_turns.load() > 0);
}

TEST_CASE("supervisor: a stalled worker's queues are forwarded in bypass, then handed back") {
    RingPort a = make_port("wg_saf_a"), b = make_port("wg_saf_b");
    REQUIRE(rte_eth_dev_start(a.id) == 0);
    REQUIRE(rte_eth_dev_start(b.id) == 0);
    WorkerSafetyConfig wc;
    wc.limiter_hosts = 64;
    wc.neg_cache_slots = 64;
    WorkerSafety ws(90, 0, rte_get_tsc_hz(), wc);
    SimWorker w;
    w.ws = &ws;
    w.port[0] = a.id;
    w.port[1] = b.id;

    SupervisorConfig sc;
    sc.stall_timeout_ms = 60;
    sc.recover_ms = 20;
    sc.kick_interval_ms = 5;
    sc.pool = pool();
    sc.log = false;
    auto hw = std::make_unique<FakeHw>();
    FakeHw* hwp = hw.get();
    Supervised s;
    s.heartbeat = &w.heartbeat;
    s.port[0] = a.id;
    s.port[1] = b.id;
    s.queue = 0;
    s.ws = &ws;
    Supervisor sup(sc, {s}, std::move(hw), rte_get_tsc_hz());
    w.th = std::thread([&] { w.run(); });
    sup.start();

    std::multiset<uint32_t> at_b, at_a;
    unsigned dups = 0;
    // Healthy: the worker forwards both ways; the watchdog is kicked.
    inject(a, 0, 100);
    inject(b, 100000, 50);
    REQUIRE(wait_for([&] {
        dups += collect(b, at_b) + collect(a, at_a);
        return at_b.size() == 100 && at_a.size() == 50;
    }));
    CHECK(sup.state(0) == Supervisor::State::Healthy);
    REQUIRE(wait_for([&] { return hwp->kicks() > 0; }));
    CHECK(sup.stalls_total() == 0);

    // Stall: the worker hangs for 800 ms holding the next burst it gets.
    ws.stall_ms.store(800);
    inject(a, 1000, 1);
    REQUIRE(wait_for([&] { return sup.state(0) == Supervisor::State::Bypassing; }));
    const uint64_t kicks_at_stall = hwp->kicks();
    CHECK(sup.stalled_now() == 1);
    // While the worker hangs, the supervisor forwards everything else.
    inject(a, 2000, 200);
    inject(b, 200000, 100);
    REQUIRE(wait_for([&] {
        dups += collect(b, at_b) + collect(a, at_a);
        return at_b.size() >= 300 && at_a.size() == 150;
    }));
    CHECK(sup.rx(0) >= 200);
    CHECK(sup.rx(1) == 100);
    CHECK(hwp->kicks() == kicks_at_stall);  // no kick while a worker is stalled

    // The worker resumes: the burst it held is handed off, not lost, and
    // the queues come back to it.
    REQUIRE(wait_for([&] { return sup.state(0) == Supervisor::State::Healthy; }));
    CHECK(sup.recoveries_total() == 1);
    CHECK(ws.get(kSafStallsInjected) == 1);
    inject(a, 5000, 100);
    REQUIRE(wait_for([&] {
        dups += collect(b, at_b) + collect(a, at_a);
        return at_b.size() == 401;
    }));
    CHECK(at_b.count(1000) == 1);  // the held frame
    CHECK(w.handed.load() + ws.get(kSafHandedOff) >= 1);
    CHECK(dups == 0);
    CHECK(w.dropped.load() == 0);
    const uint64_t worker_sent_before = w.sent.load();
    inject(a, 9000, 10);
    REQUIRE(wait_for([&] {
        collect(b, at_b);
        return at_b.size() == 411;
    }));
    CHECK(w.sent.load() == worker_sent_before + 10);  // the worker forwards again
    REQUIRE(wait_for([&] { return hwp->kicks() > kicks_at_stall; }));

    sup.stop();
    w.stop = true;
    w.th.join();
    rte_eth_dev_stop(a.id);
    rte_eth_dev_stop(b.id);
}

TEST_CASE("hardware bypass: virtual ports have none; require refuses to start") {
    RingPort c = make_port("wg_saf_c");
    std::string info, err;
    auto hw = make_hw_bypass(c.id, HwBypassMode::Auto, 1500, info, err);
    REQUIRE(hw);
    CHECK(err.empty());
    CHECK_FALSE(hw->armed());
    CHECK(std::string(hw->name()) == "none");
    CHECK(info.find("none") != std::string::npos);
    auto req = make_hw_bypass(c.id, HwBypassMode::Require, 1500, info, err);
    CHECK_FALSE(req);
    CHECK(err.find("require") != std::string::npos);
    auto off = make_hw_bypass(c.id, HwBypassMode::Off, 1500, info, err);
    REQUIRE(off);
    CHECK(info == "hardware bypass: off");
}

TEST_CASE("supervisor state machine: a worker stuck inside a queue access is not taken over") {
    // Driven tick by tick with explicit TSC values (no thread, no ports):
    // only the state machine and the watchdog gating are exercised.
    WorkerSafetyConfig wc;
    wc.limiter_hosts = 64;
    wc.neg_cache_slots = 64;
    WorkerSafety ws(91, 0, rte_get_tsc_hz(), wc);
    uint64_t hb = 1;
    SupervisorConfig sc;
    sc.stall_timeout_ms = 100;
    sc.recover_ms = 10;
    sc.kick_interval_ms = 1;
    sc.log = false;
    auto hw = std::make_unique<FakeHw>();
    FakeHw* hwp = hw.get();
    Supervised s;
    s.heartbeat = &hb;
    s.ws = &ws;
    Supervisor sup(sc, {s}, std::move(hw), 1000000);  // "TSC" = 1 MHz: 1 tick = 1 us
    uint64_t t = rte_rdtsc();  // the constructor stamped last_change with rte_rdtsc()
    sup.tick(t);
    CHECK(hwp->kicks() == 1);
    // The worker enters rx_burst and hangs there.
    REQUIRE(ws.guard.enter());
    for (int k = 0; k < 30; ++k) {  // 150 ms of silence, checked every 5 ms
        t += 5000;
        sup.tick(t);
    }
    CHECK(sup.state(0) == Supervisor::State::Taking);
    CHECK(sup.stalls_total() == 1);
    const uint64_t kicks = hwp->kicks();  // kicked until the silence passed the timeout
    t += 2000;
    sup.tick(t);
    CHECK(sup.state(0) == Supervisor::State::Taking);  // still inside: not taken
    CHECK(hwp->kicks() == kicks);                      // and the card is not kicked
    ws.guard.leave();                                  // out of the PMD call, still no heartbeat
    t += 1000;
    sup.tick(t);
    CHECK(sup.state(0) == Supervisor::State::Bypassing);
    CHECK_FALSE(ws.guard.enter());  // the worker must keep off its queues now
    // Heartbeat resumes; steady for recover_ms -> handed back. No kick
    // until then.
    int k = 0;
    for (; k < 100 && sup.state(0) != Supervisor::State::Healthy; ++k) {
        CHECK(hwp->kicks() == kicks);
        ++hb;
        t += 1000;
        sup.tick(t);
    }
    CHECK(sup.state(0) == Supervisor::State::Healthy);
    CHECK(k >= 10);  // not before recover_ms of steady heartbeat
    CHECK(sup.recoveries_total() == 1);
    CHECK(ws.guard.enter());
    ws.guard.leave();
    ++hb;
    t += 2000;
    sup.tick(t);
    CHECK(hwp->kicks() > kicks);  // healthy again: kicked again
}

TEST_CASE("supervisor: its own starvation is not mistaken for a worker stall") {
    WorkerSafetyConfig wc;
    wc.limiter_hosts = 64;
    wc.neg_cache_slots = 64;
    WorkerSafety ws(92, 0, rte_get_tsc_hz(), wc);
    uint64_t hb = 1;
    SupervisorConfig sc;
    sc.stall_timeout_ms = 100;
    sc.log = false;
    Supervised s;
    s.heartbeat = &hb;
    s.ws = &ws;
    Supervisor sup(sc, {s}, nullptr, 1000000);
    uint64_t t = rte_rdtsc();
    sup.tick(t);
    sup.tick(t + 500000);  // the whole process was paused for 500 ms
    CHECK(sup.state(0) == Supervisor::State::Healthy);
    CHECK(sup.stalls_total() == 0);
    // A real stall is still caught once the supervisor runs regularly.
    for (int k = 1; k <= 30; ++k) sup.tick(t + 500000 + uint64_t(k) * 5000);
    CHECK(sup.state(0) != Supervisor::State::Healthy);
    CHECK(sup.stalls_total() == 1);
}
