/* Consistent Overhead Byte Stuffing: S. Cheshire and M. Baker, "Consistent Overhead Byte
 * Stuffing", IEEE/ACM Transactions on Networking 7(2), 1999. The encoded block holds no
 * 0x00, so 0x00 delimits frames on the wire (PROTOCOL.md §2). */
#ifndef PM_COBS_H
#define PM_COBS_H
#include <stddef.h>
#include <stdint.h>

/* Worst-case encoded size of n bytes (without the trailing delimiter). */
#define PM_COBS_MAX_ENCODED(n) ((n) + ((n) / 254u) + 1u)

/* Returns the encoded length, or 0 if `out_cap` is too small. Writes no delimiter. */
size_t pm_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap);

/* Decodes one block (delimiter already removed). Returns the decoded length, or -1 when
 * the block is malformed (a code byte of 0x00, a code pointing past the end) or does not
 * fit in `out_cap`. */
long pm_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap);

#endif
