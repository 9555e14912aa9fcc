#include "pm_cobs.h"

size_t pm_cobs_encode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap)
{
    if (out_cap < PM_COBS_MAX_ENCODED(len)) return 0;
    size_t code_at = 0;
    size_t o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            code++;
            if (code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return o;
}

long pm_cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t out_cap)
{
    size_t i = 0;
    size_t o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0) return -1;
        size_t run = (size_t)code - 1u;
        if (i + run > len) return -1;
        if (o + run > out_cap) return -1;
        for (size_t k = 0; k < run; k++) {
            if (in[i] == 0) return -1;
            out[o++] = in[i++];
        }
        /* A code below 0xFF stands for a zero, except at the very end of the block. */
        if (code != 0xFF && i < len) {
            if (o >= out_cap) return -1;
            out[o++] = 0;
        }
    }
    return (long)o;
}
