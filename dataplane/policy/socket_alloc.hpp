// std::allocator replacement that places lookup tables in DPDK memory on the
// NUMA socket of the workers reading them. Only used at build time, on the
// management thread; the workers never allocate.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

#include <rte_common.h>
#include <rte_malloc.h>

namespace wg::dp {

template <typename T>
struct SocketAlloc {
    using value_type = T;
    int socket = SOCKET_ID_ANY;

    SocketAlloc() = default;
    explicit SocketAlloc(int s) : socket(s) {}
    template <typename U>
    SocketAlloc(const SocketAlloc<U>& o) : socket(o.socket) {}  // NOLINT: rebinding

    T* allocate(size_t n) {
        const size_t align = alignof(T) > RTE_CACHE_LINE_SIZE ? alignof(T) : RTE_CACHE_LINE_SIZE;
        void* p = rte_malloc_socket("wg_policy", n * sizeof(T), align, socket);
        // Fall back to any socket rather than failing a reload on a
        // single-socket test box or an exhausted node.
        if (p == nullptr && socket != SOCKET_ID_ANY)
            p = rte_malloc_socket("wg_policy", n * sizeof(T), align, SOCKET_ID_ANY);
        if (p == nullptr) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) noexcept { rte_free(p); }

    template <typename U>
    bool operator==(const SocketAlloc<U>& o) const {
        return socket == o.socket;
    }
};

template <typename T>
using SVec = std::vector<T, SocketAlloc<T>>;

}  // namespace wg::dp
