/* Unit tests of the portable core: CRC check value, COBS examples from Cheshire & Baker
 * (1999) §3, the message codec, and the device state machine against the test HAL. */
#include "../core/pm_cobs.h"
#include "../core/pm_crc16.h"
#include "../core/pm_device.h"
#include "../core/pm_proto.h"
#include "test_hal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static int checks;
#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

/* ---- helpers: collect the frames the device transmitted ---- */
#define MAX_OUT 256
static pm_msg_t out[MAX_OUT];
static int out_n;
static int out_errors;
static void collect(void *ctx, int r, const pm_msg_t *m)
{
    (void)ctx;
    if (r == PM_OK && out_n < MAX_OUT) out[out_n++] = *m;
    else out_errors++;
}
static void drain_tx(void)
{
    pm_rx_t rx;
    out_n = 0;
    out_errors = 0;
    pm_rx_init(&rx, collect, NULL);
    pm_rx_feed(&rx, test_tx, test_tx_len);
    test_tx_clear();
}
static const pm_msg_t *find(uint8_t type)
{
    for (int i = 0; i < out_n; i++)
        if (out[i].type == type) return &out[i];
    return NULL;
}
static int count(uint8_t type)
{
    int n = 0;
    for (int i = 0; i < out_n; i++) n += out[i].type == type;
    return n;
}
static void deliver(pm_device_t *d, pm_msg_t *m)
{
    uint8_t wire[PM_MAX_WIRE];
    size_t len = 0;
    if (m->version == 0) m->version = 1;
    CHECK(pm_msg_encode_wire(m, wire, sizeof wire, &len) == PM_OK);
    pm_device_rx(d, wire, len);
}

static void test_crc(void)
{
    CHECK(pm_crc16((const uint8_t *)"123456789", 9) == PM_CRC16_CHECK);
    CHECK(pm_crc16((const uint8_t *)"", 0) == 0xFFFF);
}

static void cobs_case(const uint8_t *in, size_t n, const uint8_t *want, size_t wn)
{
    uint8_t enc[600], dec[600];
    size_t en = pm_cobs_encode(in, n, enc, sizeof enc);
    CHECK(en == wn && memcmp(enc, want, wn) == 0);
    long dn = pm_cobs_decode(enc, en, dec, sizeof dec);
    CHECK(dn == (long)n && memcmp(dec, in, n) == 0);
}

static void test_cobs(void)
{
    cobs_case((const uint8_t[]){ 0x00 }, 1, (const uint8_t[]){ 0x01, 0x01 }, 2);
    cobs_case((const uint8_t[]){ 0x00, 0x00 }, 2, (const uint8_t[]){ 0x01, 0x01, 0x01 }, 3);
    cobs_case((const uint8_t[]){ 0x11, 0x22, 0x00, 0x33 }, 4, (const uint8_t[]){ 0x03, 0x11, 0x22, 0x02, 0x33 }, 5);
    cobs_case((const uint8_t[]){ 0x11, 0x22, 0x33, 0x44 }, 4, (const uint8_t[]){ 0x05, 0x11, 0x22, 0x33, 0x44 }, 5);
    cobs_case((const uint8_t[]){ 0x11, 0x00, 0x00, 0x00 }, 4, (const uint8_t[]){ 0x02, 0x11, 0x01, 0x01, 0x01 }, 5);
    uint8_t run[254], want[256];
    for (int i = 0; i < 254; i++) run[i] = (uint8_t)(i + 1);
    want[0] = 0xFF;
    memcpy(want + 1, run, 254);
    want[255] = 0x01;
    cobs_case(run, 254, want, 256);
    cobs_case(run, 0, (const uint8_t[]){ 0x01 }, 1);
    uint8_t dec[16];
    CHECK(pm_cobs_decode((const uint8_t[]){ 0x00, 0x11 }, 2, dec, sizeof dec) == -1);
    CHECK(pm_cobs_decode((const uint8_t[]){ 0x05, 0x11, 0x22 }, 3, dec, sizeof dec) == -1);
    CHECK(pm_cobs_decode((const uint8_t[]){ 0x03, 0x11, 0x22, 0x02, 0x33 }, 5, dec, 2) == -1);
    /* random round trips */
    srand(7);
    for (int t = 0; t < 2000; t++) {
        uint8_t in[300], enc[310], back[300];
        size_t n = (size_t)(rand() % 300);
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(rand() % 4 == 0 ? 0 : rand());
        size_t en = pm_cobs_encode(in, n, enc, sizeof enc);
        CHECK(en > 0 && en <= PM_COBS_MAX_ENCODED(n));
        CHECK(memchr(enc, 0, en) == NULL);
        CHECK(pm_cobs_decode(enc, en, back, sizeof back) == (long)n && memcmp(in, back, n) == 0);
    }
}

static void test_codec(void)
{
    pm_msg_t m, d;
    uint8_t wire[PM_MAX_WIRE];
    size_t len = 0;
    memset(&m, 0, sizeof m);
    m.version = 1;
    m.type = PM_SENSOR_REPORT;
    m.seq = 0x1234;
    m.u.report = (pm_sensor_report_t){ .channel = 1, .status = 0, .unit = PM_UNIT_MM, .exponent = -3, .value = -42, .tick = 0xDEADBEEF };
    CHECK(pm_msg_encode_wire(&m, wire, sizeof wire, &len) == PM_OK);
    CHECK(wire[len - 1] == 0 && memchr(wire, 0, len - 1) == NULL);
    CHECK(pm_msg_decode_block(wire, len - 1, &d) == PM_OK);
    CHECK(d.type == PM_SENSOR_REPORT && d.seq == 0x1234 && d.u.report.value == -42 && d.u.report.exponent == -3 &&
          d.u.report.tick == 0xDEADBEEF);

    uint8_t frame[PM_MAX_FRAME];
    size_t flen = 0;
    CHECK(pm_msg_encode_frame(&m, frame, sizeof frame, &flen) == PM_OK);
    frame[5] ^= 0x01;
    CHECK(pm_msg_decode_frame(frame, flen, &d) == PM_ERR_CRC);
    frame[5] ^= 0x01;
    CHECK(pm_msg_decode_frame(frame, 5, &d) == PM_ERR_SHORT);

    /* unknown type with a valid CRC is reported as such, with its header */
    m.type = 0x7E;
    uint8_t raw[8] = { 1, 0x7E, 9, 0, 0xAA, 0xBB, 0, 0 };
    uint16_t crc = pm_crc16(raw, 6);
    raw[6] = (uint8_t)(crc >> 8);
    raw[7] = (uint8_t)crc;
    CHECK(pm_msg_decode_frame(raw, 8, &d) == PM_ERR_UNKNOWN && d.seq == 9 && d.unknown_len == 2);
    /* version above what we speak */
    raw[0] = 2;
    crc = pm_crc16(raw, 6);
    raw[6] = (uint8_t)(crc >> 8);
    raw[7] = (uint8_t)crc;
    CHECK(pm_msg_decode_frame(raw, 8, &d) == PM_ERR_VERSION);
    /* a known type whose payload is too short */
    uint8_t shortack[5] = { 1, PM_ACK, 1, 0, 0x55 };
    uint8_t shortack_crc[7];
    memcpy(shortack_crc, shortack, 5);
    crc = pm_crc16(shortack, 5);
    shortack_crc[5] = (uint8_t)(crc >> 8);
    shortack_crc[6] = (uint8_t)crc;
    CHECK(pm_msg_decode_frame(shortack_crc, 7, &d) == PM_ERR_PAYLOAD);
    /* trailing bytes after the known fields are ignored (forward compatibility) */
    uint8_t longack[8] = { 1, PM_ACK, 1, 0, 0x34, 0x12, 0x99, 0 };
    uint8_t longack_crc[9];
    memcpy(longack_crc, longack, 7);
    crc = pm_crc16(longack, 7);
    longack_crc[7] = (uint8_t)(crc >> 8);
    longack_crc[8] = (uint8_t)crc;
    CHECK(pm_msg_decode_frame(longack_crc, 9, &d) == PM_OK && d.u.ack.re_seq == 0x1234);

    /* a LOG text longer than allowed cannot be encoded */
    memset(&m, 0, sizeof m);
    m.version = 1;
    m.type = PM_LOG;
    m.u.log.text_len = PM_MAX_LOG_TEXT + 1;
    CHECK(pm_msg_encode_wire(&m, wire, sizeof wire, &len) == PM_ERR_ENCODE);
}

static void test_rx_resync(void)
{
    pm_msg_t m;
    uint8_t wire[PM_MAX_WIRE], stream[512];
    size_t len = 0, n = 0;
    memset(&m, 0, sizeof m);
    m.version = 1;
    m.type = PM_ACK;
    m.u.ack.re_seq = 77;
    CHECK(pm_msg_encode_wire(&m, wire, sizeof wire, &len) == PM_OK);
    /* garbage, a frame, an over-long run, a frame */
    const uint8_t junk[] = { 0x13, 0x37, 0xFF, 0x00 };
    memcpy(stream + n, junk, sizeof junk); n += sizeof junk;
    memcpy(stream + n, wire, len); n += len;
    memset(stream + n, 0x41, 200); n += 200;
    stream[n++] = 0;
    memcpy(stream + n, wire, len); n += len;
    pm_rx_t rx;
    out_n = 0;
    out_errors = 0;
    pm_rx_init(&rx, collect, NULL);
    for (size_t i = 0; i < n; i++) pm_rx_feed(&rx, stream + i, 1); /* byte at a time */
    CHECK(out_n == 2 && out[0].u.ack.re_seq == 77 && out[1].u.ack.re_seq == 77);
    CHECK(out_errors == 2);
}

static void handshake(pm_device_t *d, uint16_t seq)
{
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PM_HELLO;
    m.seq = seq;
    m.u.hello = (pm_hello_t){ 1, 3 };
    deliver(d, &m);
}

static void test_device(void)
{
    static pm_device_t d;
    test_tick = 1000;
    test_tx_clear();
    pm_device_init(&d, 0xCAFE, 200, 100);
    pm_device_poll(&d);
    drain_tx();
    const pm_msg_t *hb = find(PM_HEARTBEAT);
    CHECK(hb && hb->u.heartbeat.flags == 0); /* announces itself at boot, no session yet */

    test_tick += 100;
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 0); /* samples are queued, not sent before HELLO */
    CHECK(d.q_count == 3);

    /* requests other than HELLO/RESET are refused before a session */
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PM_TIME_SYNC;
    m.seq = 3;
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_NAK) && find(PM_NAK)->u.nak.reason == PM_NAK_NO_SESSION);

    handshake(&d, 5);
    drain_tx();
    const pm_msg_t *hr = find(PM_HELLO_REPLY);
    CHECK(hr && hr->u.hello_reply.re_seq == 5 && hr->u.hello_reply.version == 1 && hr->u.hello_reply.device_id == 0xCAFE &&
          hr->u.hello_reply.boot_id == 0xB007 && hr->u.hello_reply.channel_count == 3 && hr->u.hello_reply.tick_hz == 1000);

    /* no common version: NAK BAD_VERSION, session state unchanged */
    memset(&m, 0, sizeof m);
    m.type = PM_HELLO;
    m.seq = 6;
    m.u.hello = (pm_hello_t){ 2, 4 };
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_NAK) && find(PM_NAK)->u.nak.reason == PM_NAK_BAD_VERSION && find(PM_NAK)->u.nak.re_seq == 6);

    /* stop-and-wait: one report outstanding, retransmitted with the same seq */
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 1);
    uint16_t seq1 = find(PM_SENSOR_REPORT)->seq;
    CHECK(find(PM_SENSOR_REPORT)->u.report.channel == 0 && find(PM_SENSOR_REPORT)->u.report.tick == 1100);
    test_tick += 50;
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 0);
    test_tick += 50;
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 1 && find(PM_SENSOR_REPORT)->seq == seq1 && d.retransmits == 1);

    /* an ACK for another seq changes nothing; the right one releases the next report */
    memset(&m, 0, sizeof m);
    m.type = PM_ACK;
    m.u.ack.re_seq = (uint16_t)(seq1 + 100);
    deliver(&d, &m);
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 0);
    m.u.ack.re_seq = seq1;
    deliver(&d, &m);
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_SENSOR_REPORT) == 1 && find(PM_SENSOR_REPORT)->seq != seq1 && find(PM_SENSOR_REPORT)->u.report.channel == 1);

    /* CONFIG_SET / CONFIG_GET */
    memset(&m, 0, sizeof m);
    m.type = PM_CONFIG_SET;
    m.seq = 40;
    m.u.config_set = (pm_config_set_t){ PM_CFG_HEARTBEAT_MS, 500 };
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_ACK) && find(PM_ACK)->u.ack.re_seq == 40 && d.heartbeat_ms == 500);
    m.seq = 41;
    m.u.config_set = (pm_config_set_t){ PM_CFG_HEARTBEAT_MS, 5 };
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_NAK) && find(PM_NAK)->u.nak.reason == PM_NAK_BAD_VALUE && d.heartbeat_ms == 500);
    m.seq = 42;
    m.u.config_set = (pm_config_set_t){ 99, 1 };
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_NAK) && find(PM_NAK)->u.nak.reason == PM_NAK_BAD_KEY);
    memset(&m, 0, sizeof m);
    m.type = PM_CONFIG_GET;
    m.seq = 43;
    m.u.config_get.key = PM_CFG_HEARTBEAT_MS;
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_CONFIG_VALUE) && find(PM_CONFIG_VALUE)->u.config_value.re_seq == 43 && find(PM_CONFIG_VALUE)->u.config_value.value == 500);

    /* TIME_SYNC answers with the tick at handling */
    test_tick = 0xFFFFFFF0u;
    memset(&m, 0, sizeof m);
    m.type = PM_TIME_SYNC;
    m.seq = 44;
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_TIME_SYNC_REPLY) && find(PM_TIME_SYNC_REPLY)->u.time_sync_reply.tick == 0xFFFFFFF0u &&
          find(PM_TIME_SYNC_REPLY)->u.time_sync_reply.re_seq == 44);
    /* heartbeats keep their period across tick wrap-around */
    d.last_hb_tick = 0xFFFFFF00u;
    test_tick = 0x00000010u; /* 272 ticks later, wrapped */
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_HEARTBEAT) == 0);
    test_tick = 0x00000100u; /* 512 ticks later */
    pm_device_poll(&d);
    drain_tx();
    CHECK(count(PM_HEARTBEAT) == 1 && find(PM_HEARTBEAT)->u.heartbeat.flags == PM_HB_SESSION);

    /* unknown type: NAK UNKNOWN_TYPE, counted, nothing else changes */
    uint8_t raw[6] = { 1, 0x70, 50, 0, 0, 0 };
    uint16_t crc = pm_crc16(raw, 4);
    raw[4] = (uint8_t)(crc >> 8);
    raw[5] = (uint8_t)crc;
    uint8_t wire[16];
    size_t wl = pm_cobs_encode(raw, 6, wire, sizeof wire);
    wire[wl++] = 0;
    pm_device_rx(&d, wire, wl);
    drain_tx();
    CHECK(find(PM_NAK) && find(PM_NAK)->u.nak.reason == PM_NAK_UNKNOWN_TYPE && find(PM_NAK)->u.nak.re_seq == 50);
    CHECK(d.unknown_types == 1);

    /* garbage is counted */
    uint16_t before = d.rx_errors;
    pm_device_rx(&d, (const uint8_t[]){ 0x05, 0x01, 0x00 }, 3);
    CHECK(d.rx_errors == before + 1);

    /* RESET: acknowledged first, reset on the next poll */
    memset(&m, 0, sizeof m);
    m.type = PM_RESET;
    m.seq = 60;
    deliver(&d, &m);
    drain_tx();
    CHECK(find(PM_ACK) && find(PM_ACK)->u.ack.re_seq == 60 && test_resets == 0);
    pm_device_poll(&d);
    CHECK(test_resets == 1);
}

static void test_queue_overflow(void)
{
    static pm_device_t d;
    test_tick = 0;
    test_tx_clear();
    pm_device_init(&d, 1, 60000, 10);
    handshake(&d, 1);
    test_tick = 10;
    pm_device_poll(&d); /* samples 3, sends the first */
    drain_tx();
    uint16_t outstanding = d.outstanding_seq;
    int32_t head_value = d.queue[d.q_head].value;
    uint32_t head_tick = d.queue[d.q_head].tick;
    for (int i = 0; i < 40; i++) {
        test_tick += 10;
        d.out_tick = test_tick; /* no retransmits in this test */
        pm_device_poll(&d);
    }
    CHECK(d.q_count == PM_REPORT_QUEUE);
    CHECK(d.dropped == 3 * 41 - PM_REPORT_QUEUE);
    CHECK(d.outstanding && d.outstanding_seq == outstanding);
    CHECK(d.queue[d.q_head].value == head_value && d.queue[d.q_head].tick == head_tick);
}

int main(void)
{
    test_crc();
    test_cobs();
    test_codec();
    test_rx_resync();
    test_device();
    test_queue_overflow();
    printf("test_core: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
