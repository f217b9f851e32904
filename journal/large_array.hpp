// std::vector for the few arrays that grow with the journal or the capture (the lookup
// index's entries and tuple table, the conversation cache): from 2 MiB on an array gets
// its own mapping with transparent huge pages asked for (madvise), where the default
// allocator's 4 KiB pages cost a page fault each as the array is first written.
// Measured: `sockowner annotate` of 250 000 short flows took 31 000 page faults, most
// of them those arrays', a fifth of its CPU time on a virtual machine. Where the
// kernel gives no huge pages (THP "never", no memory to spare) this is an ordinary
// anonymous mapping; smaller arrays come from the default allocator.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace sockowner {

template <class T>
struct LargeArrayAllocator {
    using value_type = T;
    static constexpr std::size_t kHugePage = std::size_t(2) << 20;
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer checks what the default allocator hands out, not our mappings.
    static constexpr std::size_t kThreshold = std::size_t(-1);
#else
    static constexpr std::size_t kThreshold = kHugePage;
#endif

    LargeArrayAllocator() = default;
    template <class U>
    LargeArrayAllocator(const LargeArrayAllocator<U>&) noexcept {}

    static std::size_t mapped_size(std::size_t n) { return (n * sizeof(T) + kHugePage - 1) & ~(kHugePage - 1); }

    T* allocate(std::size_t n) {
        if (n > std::size_t(-1) / sizeof(T)) throw std::bad_array_new_length();
        if (n * sizeof(T) < kThreshold) return std::allocator<T>().allocate(n);
        // Mapped one huge page longer, then trimmed to a huge page boundary at both ends.
        const std::size_t len = mapped_size(n);
        void* m = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) throw std::bad_alloc();
        const auto at = reinterpret_cast<std::uintptr_t>(m);
        const std::uintptr_t start = (at + kHugePage - 1) & ~std::uintptr_t(kHugePage - 1);
        if (start > at) ::munmap(m, start - at);
        if (const std::size_t tail = at + len + kHugePage - (start + len)) ::munmap(reinterpret_cast<void*>(start + len), tail);
        ::madvise(reinterpret_cast<void*>(start), len, MADV_HUGEPAGE);  // advice: the mapping works without it
        return reinterpret_cast<T*>(start);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) < kThreshold)
            std::allocator<T>().deallocate(p, n);
        else
            ::munmap(p, mapped_size(n));
    }
    template <class U>
    friend bool operator==(const LargeArrayAllocator&, const LargeArrayAllocator<U>&) noexcept {
        return true;
    }
};

template <class T>
using LargeArray = std::vector<T, LargeArrayAllocator<T>>;

}  // namespace sockowner
