// Processor instructions Swift has no spelling for: a cache prefetch hint, and a vector
// compare that turns 64 bytes into a 64-bit mask.
#ifndef IMPACT_INTRINSICS_H
#define IMPACT_INTRINSICS_H

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Asks for the cache line at `address` to be loaded for reading, without waiting for it:
// unlike a load, a prefetch that misses does not hold back the instructions after it.
static inline void impact_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// Bit i is set when byte i of the 64 at `bytes` is `delimiter`, a line feed or a carriage
// return: where the unquoted fields of CSV records stop. All 64 bytes must be readable.
static inline uint64_t impact_csv_stops64(const void *bytes, uint8_t delimiter) {
  const uint8_t *p = (const uint8_t *)bytes;
  uint64_t mask = 0;
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8((char)delimiter);
  const __m128i n = _mm_set1_epi8('\n');
  const __m128i r = _mm_set1_epi8('\r');
  for (int i = 0; i < 4; i++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, n)), _mm_cmpeq_epi8(v, r));
    mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(hit) << (16 * i);
  }
#else
  for (int i = 0; i < 64; i++) {
    if (p[i] == delimiter || p[i] == '\n' || p[i] == '\r') mask |= (uint64_t)1 << i;
  }
#endif
  return mask;
}

#endif
