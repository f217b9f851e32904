// How the collector names a socket across events, snapshots and restarts: by its
// socket cookie (eBPF: the kernel's 64-bit id, never reused while the host runs), or,
// known only through /proc, by its inode under a tag no cookie reaches. Kernel
// addresses are reused as soon as a socket is freed: they are never identities.
#pragma once

#include <cstdint>

namespace sockowner {

inline constexpr std::uint64_t kInodeTag = 0x7Eull << 56;

constexpr std::uint64_t inode_ident(std::uint64_t inode) { return kInodeTag | (inode & ((1ull << 56) - 1)); }
constexpr bool is_inode_ident(std::uint64_t ident) { return (ident >> 56) == (kInodeTag >> 56); }
// The identity a journal row carries: its cookie, else its inode; 0 when neither is known.
constexpr std::uint64_t socket_ident(std::uint64_t cookie, std::uint64_t inode) {
    return cookie ? cookie : inode ? inode_ident(inode) : 0;
}

static_assert(is_inode_ident(inode_ident(4026531833ull)) && !is_inode_ident(1ull << 40));

}  // namespace sockowner
