#pragma once

// UNIVIRT_CHECK(cond, why): aborts with file:line when an invariant of our own code is broken.
// Never use it for anything the environment (input, network, libvirtd, API server) can cause:
// those return util::Error (style.md §4).

#include <cstdio>
#include <cstdlib>

#define UNIVIRT_CHECK(cond, why)                                                                \
  do {                                                                                          \
    if (!(cond)) [[unlikely]] {                                                                 \
      (void)std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, why, \
                         #cond);                                                                \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)
