// A cache prefetch hint, which Swift has no spelling for.
#ifndef IMPACT_PREFETCH_H
#define IMPACT_PREFETCH_H

// Asks for the cache line at `address` to be loaded for reading, without waiting for it:
// unlike a load, a prefetch that misses does not hold back the instructions after it.
static inline void impact_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
