#pragma once

// Disk capacities as upstream requests spell them: "10G", "512M", "21737418240" (bytes).
// Parsed strictly: one decimal integer, then at most one unit, nothing else — no spaces,
// signs, fractions or trailing text — so a typo is refused instead of guessed at.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace univirt::sdsctl {

// Units are powers of 1024, as qemu-img and upstream sdsctl read them: K, M, G, T, P, each
// optionally followed by "i", "iB" or "B" (any case): "10G" = "10GiB" = "10gb" = 10 GiB.
// A bare number is bytes; "B" is accepted as an explicit byte suffix. Zero is refused, as is
// anything above 2^63-1 bytes.
util::Result<std::uint64_t> parseCapacity(std::string_view text);

// The shortest exact spelling: 10737418240 → "10G", 1536 → "1536".
std::string formatCapacity(std::uint64_t bytes);

}  // namespace univirt::sdsctl
