// Timing harness for the in-process benchmarks.
//
// A trace is fed in chunks: the harness allocates a chunk of mbufs and writes
// the frames (untimed: this plays the NIC's DMA, and leaves the headers warm
// in cache as DDIO would), then hands them to the system under test burst by
// burst, reading the TSC around every burst. Forwarded mbufs come back in a
// tx array and are freed untimed (the NIC's tx completion); a SUT frees what
// it drops itself, inside the timed region, as it would in production.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <nlohmann/json.hpp>

namespace wg::bench {

constexpr unsigned kBurst = 32;
constexpr unsigned kChunk = 1024;  // mbufs written per untimed refill

class Sut {
  public:
    virtual ~Sut() = default;
    // Processes `n` mbufs received on `side` (0 clinical, 1 core). Puts the
    // forwarded ones in `tx` and returns their count; frees the dropped ones.
    virtual uint16_t burst(rte_mbuf** pkts, uint16_t n, unsigned side, rte_mbuf** tx) = 0;
};

// The ceiling: a no-op forwarder over the same mbufs. It does what any
// forwarder must: read each packet's first cache line (ethertype) and length,
// and hand the mbuf to tx. No classification, no state.
class NoopForward final : public Sut {
  public:
    uint16_t burst(rte_mbuf** pkts, uint16_t n, unsigned side, rte_mbuf** tx) override;
    uint64_t sink = 0;  // keeps the reads observable
};

// Writes trace packet `i` into `m`; returns the arrival side of the burst
// that packet `i` belongs to (all packets of one burst share a side).
using Stamper = std::function<unsigned(uint64_t i, rte_mbuf* m)>;

struct RunResult {
    uint64_t pkts = 0;
    uint64_t forwarded = 0;
    uint64_t cycles = 0;                 // sum of timed burst cycles
    std::vector<uint32_t> burst_cycles;  // one per burst
    double cpp() const { return pkts ? double(cycles) / double(pkts) : 0; }
};

// Feeds trace packets [first, first + count) through `sut`.
// `after_chunk` (optional) runs untimed after every chunk, e.g. to drain the
// audit ring as the management thread would.
RunResult run_trace(Sut& sut, rte_mempool* pool, const Stamper& stamp, uint64_t first,
                    uint64_t count, const std::function<void()>& after_chunk = {});

// Summary over repetitions (medians), with latency percentiles from every
// burst of every repetition. `tsc_hz` converts cycles to time.
nlohmann::json summarize(const std::vector<RunResult>& reps, double tsc_hz);

double median(std::vector<double> v);
uint32_t percentile(std::vector<uint32_t>& sorted_in_place, double p, bool already_sorted = false);

// Peak resident set: reset (Linux clear_refs 5) and read VmHWM in bytes.
void reset_peak_rss();
uint64_t peak_rss_bytes();
uint64_t current_rss_bytes();
// Bytes in use from the C heap (glibc mallinfo2: arenas + mmapped blocks).
uint64_t malloc_in_use();
// Writes every mbuf's data buffer once, so no timed pass pays first-touch
// page faults of the --no-huge memory.
void touch_pool(rte_mempool* mp);
// Bytes allocated from the DPDK heap (all sockets).
uint64_t dpdk_heap_allocated();

}  // namespace wg::bench
