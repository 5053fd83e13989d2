// Little-endian, bounds-checked byte writer/reader shared by the management
// protocol and the compiled policy image. Every read checks the remaining
// length first: a truncated or hostile buffer yields an error, never an
// out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace wg::wire {

// Thrown by Reader on any malformed input; the message says what was expected.
class DecodeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The unsigned integer type a value of T travels as (enums: their underlying type).
template <typename T, bool = std::is_enum_v<T>>
struct unsigned_of {
    using type = std::make_unsigned_t<T>;
};
template <typename T>
struct unsigned_of<T, true> {
    using type = std::make_unsigned_t<std::underlying_type_t<T>>;
};
template <typename T>
using unsigned_of_t = typename unsigned_of<T>::type;

class Writer {
public:
    template <typename T>
        requires std::is_integral_v<T> || std::is_enum_v<T>
    void put(T v) {
        using U = unsigned_of_t<T>;
        auto u = static_cast<U>(v);
        for (std::size_t i = 0; i < sizeof(U); ++i) buf_.push_back(static_cast<uint8_t>(u >> (8 * i)));
    }
    void put_bool(bool b) { put<uint8_t>(b ? 1 : 0); }
    void put_bytes(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
    // Length-prefixed (u32) string.
    void put_str(std::string_view s) {
        put<uint32_t>(static_cast<uint32_t>(s.size()));
        buf_.insert(buf_.end(), s.begin(), s.end());
    }
    void put_blob(std::span<const uint8_t> b) {
        put<uint32_t>(static_cast<uint32_t>(b.size()));
        put_bytes(b);
    }
    // Overwrite a previously written u32 (e.g. a length or checksum slot).
    void patch_u32(std::size_t at, uint32_t v) {
        for (std::size_t i = 0; i < 4; ++i) buf_.at(at + i) = static_cast<uint8_t>(v >> (8 * i));
    }
    std::size_t size() const { return buf_.size(); }
    const std::vector<uint8_t>& data() const { return buf_; }
    std::vector<uint8_t> take() { return std::move(buf_); }

private:
    std::vector<uint8_t> buf_;
};

class Reader {
public:
    explicit Reader(std::span<const uint8_t> b) : b_(b) {}

    template <typename T>
        requires std::is_integral_v<T> || std::is_enum_v<T>
    T get(const char* what = "integer") {
        using U = unsigned_of_t<T>;
        need(sizeof(U), what);
        U u = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i) u |= static_cast<U>(U(b_[pos_ + i]) << (8 * i));
        pos_ += sizeof(U);
        return static_cast<T>(u);
    }
    bool get_bool(const char* what = "bool") {
        auto v = get<uint8_t>(what);
        if (v > 1) throw DecodeError(std::string("invalid boolean for ") + what);
        return v == 1;
    }
    std::span<const uint8_t> get_bytes(std::size_t n, const char* what = "bytes") {
        need(n, what);
        auto s = b_.subspan(pos_, n);
        pos_ += n;
        return s;
    }
    std::string get_str(const char* what = "string", std::size_t max = 1u << 20) {
        auto n = get<uint32_t>(what);
        if (n > max) throw DecodeError(std::string("oversized ") + what);
        auto s = get_bytes(n, what);
        return std::string(reinterpret_cast<const char*>(s.data()), s.size());
    }
    std::vector<uint8_t> get_blob(const char* what = "blob", std::size_t max = 1u << 30) {
        auto n = get<uint32_t>(what);
        if (n > max) throw DecodeError(std::string("oversized ") + what);
        auto s = get_bytes(n, what);
        return {s.begin(), s.end()};
    }
    // A element count that is sanity-checked against the bytes left, so a
    // corrupted count cannot make the caller reserve gigabytes.
    uint32_t get_count(std::size_t min_elem_size, const char* what) {
        auto n = get<uint32_t>(what);
        if (min_elem_size && n > remaining() / min_elem_size)
            throw DecodeError(std::string("count of ") + what + " exceeds the data left");
        return n;
    }
    std::size_t remaining() const { return b_.size() - pos_; }
    std::size_t pos() const { return pos_; }
    bool done() const { return pos_ == b_.size(); }
    void expect_done(const char* what) const {
        if (!done()) throw DecodeError(std::string("trailing bytes after ") + what);
    }

private:
    void need(std::size_t n, const char* what) const {
        if (remaining() < n) throw DecodeError(std::string("truncated while reading ") + what);
    }
    std::span<const uint8_t> b_;
    std::size_t pos_ = 0;
};

// CRC-32C (Castagnoli), table-driven; used to checksum images and detect
// corruption. Not cryptographic: the content hash is separate (see image).
uint32_t crc32c(std::span<const uint8_t> data, uint32_t seed = 0);

}  // namespace wg::wire
