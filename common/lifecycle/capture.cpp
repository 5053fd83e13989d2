#include "lifecycle/capture.hpp"

#include <algorithm>
#include <cstring>

namespace wg::lifecycle {

namespace {
constexpr uint32_t kPcapMagicUs = 0xa1b2c3d4, kPcapMagicNs = 0xa1b23c4d;
constexpr uint32_t kShb = 0x0a0d0d0a, kIdb = 1, kSpb = 3, kEpb = 6;
constexpr uint32_t kByteOrderMagic = 0x1a2b3c4d;

uint32_t bswap32(uint32_t v) {
    return __builtin_bswap32(v);
}
}  // namespace

CaptureReader::CaptureReader(const std::string& path)
    : file_(std::make_unique<std::ifstream>(path, std::ios::binary)) {
    in_ = file_.get();
    if (!*file_) error_ = path + ": cannot open";
}

uint32_t CaptureReader::u32(const uint8_t* b) const {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return swap_ ? bswap32(v) : v;
}
uint16_t CaptureReader::u16(const uint8_t* b) const {
    uint16_t v;
    std::memcpy(&v, b, 2);
    return swap_ ? __builtin_bswap16(v) : v;
}

bool CaptureReader::fail(const std::string& what) {
    if (error_.empty()) error_ = "offset " + std::to_string(offset_) + ": " + what;
    done_ = true;
    return false;
}

bool CaptureReader::read_exact(void* dst, size_t n, bool eof_ok) {
    in_->read(static_cast<char*>(dst), std::streamsize(n));
    const auto got = size_t(in_->gcount());
    offset_ += got;
    if (got == n) return true;
    if (eof_ok && got == 0) {
        done_ = true;
        return false;
    }
    return fail("truncated file (wanted " + std::to_string(n) + " bytes, " + std::to_string(got) +
                " left)");
}

bool CaptureReader::read_vec(std::vector<uint8_t>& v, size_t n) {
    // Grow with the bytes actually read, so a length field claiming more
    // than the file holds costs at most one chunk, not the claimed size.
    constexpr size_t kChunk = 64 * 1024;
    v.clear();
    while (v.size() < n) {
        const size_t at = v.size(), want = std::min(kChunk, n - at);
        v.resize(at + want);
        if (!read_exact(v.data() + at, want)) return false;
    }
    return true;
}

bool CaptureReader::start() {
    started_ = true;
    uint8_t m[4];
    if (!read_exact(m, 4)) return fail("not a capture file (shorter than 4 bytes)");
    uint32_t magic;
    std::memcpy(&magic, m, 4);
    if (magic == kShb) {
        ng_ = true;
        // The section header is parsed as the first block of next_ng().
        return true;
    }
    if (magic == kPcapMagicUs || magic == kPcapMagicNs) {
        swap_ = false;
    } else if (bswap32(magic) == kPcapMagicUs || bswap32(magic) == kPcapMagicNs) {
        swap_ = true;
        magic = bswap32(magic);
    } else {
        return fail("not a pcap or pcapng file (magic " + std::to_string(magic) + ")");
    }
    nsec_ = magic == kPcapMagicNs;
    uint8_t h[20];
    if (!read_exact(h, 20)) return false;
    pcap_linktype_ = u32(h + 16) & 0x0fffffff;  // upper bits: FCS flags
    ifaces_.push_back(Iface{pcap_linktype_, false, uint8_t(nsec_ ? 9 : 6)});
    return true;
}

bool CaptureReader::next(CapturedPacket& p) {
    if (done_ || !error_.empty()) return false;
    if (!started_ && !start()) return false;
    return ng_ ? next_ng(p) : next_pcap(p);
}

bool CaptureReader::next_pcap(CapturedPacket& p) {
    uint8_t h[16];
    if (!read_exact(h, 16, true)) return false;
    const uint32_t sec = u32(h), frac = u32(h + 4), incl = u32(h + 8), orig = u32(h + 12);
    if (incl > kMaxCaptured)
        return fail("packet of " + std::to_string(incl) + " captured bytes (limit " +
                    std::to_string(kMaxCaptured) + ")");
    if (!read_vec(p.data, incl)) return false;
    p.ts_ns = uint64_t(sec) * 1000000000ull + (nsec_ ? frac : uint64_t(frac) * 1000ull);
    p.iface = 0;
    p.linktype = pcap_linktype_;
    p.wire_len = orig < incl ? incl : orig;
    return true;
}

bool CaptureReader::parse_shb(const std::vector<uint8_t>& body) {
    // body: byte-order magic, major, minor, section length, options.
    if (body.size() < 16) return fail("section header block too short");
    uint32_t bom;
    std::memcpy(&bom, body.data(), 4);
    if (bom == kByteOrderMagic)
        swap_ = false;
    else if (bswap32(bom) == kByteOrderMagic)
        swap_ = true;
    else
        return fail("section header block with a bad byte-order magic");
    if (u16(body.data() + 4) != 1) return fail("pcapng major version is not 1");
    ifaces_.clear();  // interface ids are per section
    return true;
}

bool CaptureReader::parse_idb(const std::vector<uint8_t>& body) {
    if (body.size() < 8) return fail("interface description block too short");
    if (ifaces_.size() >= kMaxInterfaces) return fail("more than 1024 interfaces");
    Iface f;
    f.linktype = u16(body.data());
    // Options: code(2) length(2) value padded to 4.
    size_t o = 8;
    while (o + 4 <= body.size()) {
        const uint16_t code = u16(body.data() + o), len = u16(body.data() + o + 2);
        o += 4;
        if (code == 0) break;
        if (len > body.size() - o) return fail("interface option runs past its block");
        if (code == 9 && len >= 1) {  // if_tsresol
            const uint8_t r = body[o];
            f.pow2 = r & 0x80;
            f.exp = r & 0x7f;
            if ((f.pow2 && f.exp > 63) || (!f.pow2 && f.exp > 18))
                return fail("unsupported timestamp resolution");
        }
        o += (size_t(len) + 3) & ~size_t(3);
    }
    ifaces_.push_back(f);
    return true;
}

bool CaptureReader::next_ng(CapturedPacket& p) {
    std::vector<uint8_t>& body = body_;
    for (;;) {
        uint8_t h[8];
        uint32_t type;
        if (offset_ == 4) {  // the SHB magic was read by start()
            std::memcpy(&type, "\x0a\x0d\x0d\x0a", 4);
            if (!read_exact(h + 4, 4)) return false;
        } else {
            if (!read_exact(h, 8, true)) return false;
            std::memcpy(&type, h, 4);
        }
        uint32_t total;
        if (type == kShb) {
            // The byte order is only known from the body: peek at it.
            uint8_t bom[4];
            if (!read_exact(bom, 4)) return false;
            uint32_t b;
            std::memcpy(&b, bom, 4);
            swap_ = b != kByteOrderMagic;
            total = u32(h + 4);
            if (total < 28 || total % 4 || total > kMaxBlock)
                return fail("bad section header block length " + std::to_string(total));
            if (!read_vec(body, total - 16)) return false;
            body.insert(body.begin(), bom, bom + 4);
        } else {
            type = u32(h);
            total = u32(h + 4);
            if (total < 12 || total % 4 || total > kMaxBlock)
                return fail("bad block length " + std::to_string(total));
            if (!read_vec(body, total - 12)) return false;
        }
        uint8_t trailer[4];
        if (!read_exact(trailer, 4)) return false;
        if (u32(trailer) != total) return fail("block length trailer does not match its header");

        if (type == kShb) {
            if (!parse_shb(body)) return false;
            continue;
        }
        if (type == kIdb) {
            if (!parse_idb(body)) return false;
            continue;
        }
        if (type != kEpb && type != kSpb) continue;  // statistics, name resolution, ...
        uint32_t iface = 0, caplen, orig;
        uint64_t ts = 0;
        size_t data_off;
        if (type == kEpb) {
            if (body.size() < 20) return fail("enhanced packet block too short");
            iface = u32(body.data());
            ts = uint64_t(u32(body.data() + 4)) << 32 | u32(body.data() + 8);
            caplen = u32(body.data() + 12);
            orig = u32(body.data() + 16);
            data_off = 20;
        } else {
            if (body.size() < 4) return fail("simple packet block too short");
            orig = u32(body.data());
            data_off = 4;
            caplen = std::min<uint32_t>(orig, uint32_t(body.size() - 4));
        }
        if (caplen > body.size() - data_off) return fail("packet data runs past its block");
        if (iface >= ifaces_.size())
            return fail("packet on interface " + std::to_string(iface) + " with no description");
        const Iface& f = ifaces_[iface];
        unsigned __int128 ns;
        if (f.pow2)
            ns = ((unsigned __int128)ts * 1000000000u) >> f.exp;
        else {
            unsigned __int128 scale = 1;
            for (unsigned i = 0; i < (f.exp > 9 ? f.exp - 9u : 9u - f.exp); ++i) scale *= 10;
            ns = f.exp > 9 ? ts / scale : ts * scale;
        }
        p.ts_ns = ns > ~uint64_t(0) ? ~uint64_t(0) : uint64_t(ns);
        p.iface = iface;
        p.linktype = f.linktype;
        p.data.assign(body.begin() + long(data_off), body.begin() + long(data_off + caplen));
        p.wire_len = orig < caplen ? caplen : orig;
        return true;
    }
}

}  // namespace wg::lifecycle
