// Capture file reader: classic pcap (micro- and nanosecond, either byte
// order) and pcapng (section header, interface description, enhanced and
// simple packet blocks; every other block skipped). DPDK-free and
// bounds-checked: a capture holds attacker-chosen bytes, so every length
// field is checked against what the file holds and against fixed caps
// before anything is read or allocated (fuzz/fuzz_capture.cpp).
//
// Streaming: one packet at a time from an std::istream, so memory does not
// grow with the capture.
#pragma once

#include <cstdint>
#include <fstream>
#include <istream>
#include <memory>
#include <string>
#include <vector>

namespace wg::lifecycle {

inline constexpr uint32_t kLinktypeEthernet = 1;
// Caps on attacker-controlled lengths. A packet above kMaxCaptured bytes or
// a pcapng block above kMaxBlock is an error (the file is unusable past it).
inline constexpr uint32_t kMaxCaptured = 256 * 1024;
inline constexpr uint32_t kMaxBlock = 1024 * 1024;
inline constexpr uint32_t kMaxInterfaces = 1024;

struct CapturedPacket {
    uint64_t ts_ns = 0;         // capture timestamp, ns since the epoch
    uint32_t iface = 0;         // pcapng interface id; 0 for classic pcap
    uint32_t linktype = 0;      // of that interface
    uint32_t wire_len = 0;      // original length on the wire
    std::vector<uint8_t> data;  // captured bytes (<= wire_len unless the file lies)
};

class CaptureReader {
  public:
    // Reads from `in`, which must outlive the reader.
    explicit CaptureReader(std::istream& in) : in_(&in) {}
    // Opens a file; check ok() / error().
    explicit CaptureReader(const std::string& path);

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }

    // Next packet: true with `p` filled, false at the end of the file or on
    // an error (then error() says what and where).
    bool next(CapturedPacket& p);

    bool is_pcapng() const { return ng_; }
    // Interfaces seen so far (pcapng: description blocks; pcap: 1).
    size_t interfaces() const { return ifaces_.size(); }

  private:
    struct Iface {
        uint32_t linktype = 0;
        bool pow2 = false;  // if_tsresol: units of 2^-exp s, else 10^-exp s
        uint8_t exp = 6;
    };
    bool start();
    bool read_exact(void* dst, size_t n, bool eof_ok = false);
    bool read_vec(std::vector<uint8_t>& v, size_t n);
    bool fail(const std::string& what);
    bool next_pcap(CapturedPacket& p);
    bool next_ng(CapturedPacket& p);
    bool parse_shb(const std::vector<uint8_t>& body);
    bool parse_idb(const std::vector<uint8_t>& body);
    uint32_t u32(const uint8_t* b) const;
    uint16_t u16(const uint8_t* b) const;

    std::unique_ptr<std::ifstream> file_;
    std::istream* in_ = nullptr;
    std::string error_;
    bool started_ = false, ng_ = false, swap_ = false, nsec_ = false, done_ = false;
    uint32_t pcap_linktype_ = 0;
    uint64_t offset_ = 0;  // bytes consumed, for error messages
    std::vector<Iface> ifaces_;
    std::vector<uint8_t> body_;  // the current pcapng block, reused
};

}  // namespace wg::lifecycle
