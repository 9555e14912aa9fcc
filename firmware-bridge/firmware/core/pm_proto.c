#include "pm_proto.h"
#include "pm_cobs.h"
#include "pm_crc16.h"
#include <string.h>

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static size_t encode_payload(const pm_msg_t *m, uint8_t *p)
{
    switch (m->type) {
    case PM_HELLO:
        p[0] = m->u.hello.min_version; p[1] = m->u.hello.max_version;
        return 2;
    case PM_HELLO_REPLY: {
        const pm_hello_reply_t *h = &m->u.hello_reply;
        if (h->channel_count > PM_MAX_CHANNELS) return (size_t)-1;
        put16(p, h->re_seq); p[2] = h->version;
        p[3] = h->fw_major; p[4] = h->fw_minor; p[5] = h->fw_patch;
        put32(p + 6, h->device_id); put32(p + 10, h->boot_id);
        put16(p + 14, h->capabilities); put16(p + 16, h->heartbeat_ms);
        put32(p + 18, h->tick_hz); p[22] = h->channel_count;
        for (uint8_t i = 0; i < h->channel_count; i++) {
            p[23 + 3 * i] = h->channels[i].id;
            p[24 + 3 * i] = h->channels[i].modality;
            p[25 + 3 * i] = h->channels[i].unit;
        }
        return 23u + 3u * h->channel_count;
    }
    case PM_HEARTBEAT:
        put32(p, m->u.heartbeat.tick); p[4] = m->u.heartbeat.flags; p[5] = m->u.heartbeat.queued;
        put16(p + 6, m->u.heartbeat.dropped); put16(p + 8, m->u.heartbeat.rx_errors);
        return 10;
    case PM_SENSOR_REPORT:
        p[0] = m->u.report.channel; p[1] = m->u.report.status; p[2] = m->u.report.unit;
        p[3] = (uint8_t)m->u.report.exponent; put32(p + 4, (uint32_t)m->u.report.value);
        put32(p + 8, m->u.report.tick);
        return 12;
    case PM_CONFIG_SET:
        p[0] = m->u.config_set.key; put32(p + 1, (uint32_t)m->u.config_set.value);
        return 5;
    case PM_CONFIG_GET:
        p[0] = m->u.config_get.key;
        return 1;
    case PM_CONFIG_VALUE:
        put16(p, m->u.config_value.re_seq); p[2] = m->u.config_value.key;
        put32(p + 3, (uint32_t)m->u.config_value.value);
        return 7;
    case PM_ACK:
        put16(p, m->u.ack.re_seq);
        return 2;
    case PM_NAK:
        put16(p, m->u.nak.re_seq); p[2] = m->u.nak.reason;
        return 3;
    case PM_LOG:
        if (m->u.log.text_len > PM_MAX_LOG_TEXT) return (size_t)-1;
        p[0] = m->u.log.level; put32(p + 1, m->u.log.tick);
        memcpy(p + 5, m->u.log.text, m->u.log.text_len);
        return 5u + m->u.log.text_len;
    case PM_TIME_SYNC:
    case PM_RESET:
        return 0;
    case PM_TIME_SYNC_REPLY:
        put16(p, m->u.time_sync_reply.re_seq); put32(p + 2, m->u.time_sync_reply.tick);
        return 6;
    default:
        return (size_t)-1;
    }
}

int pm_msg_encode_frame(const pm_msg_t *m, uint8_t *frame, size_t cap, size_t *len)
{
    uint8_t payload[PM_MAX_PAYLOAD];
    size_t n = encode_payload(m, payload);
    if (n == (size_t)-1 || n > PM_MAX_PAYLOAD) return PM_ERR_ENCODE;
    size_t total = PM_HEADER_LEN + n + PM_CRC_LEN;
    if (cap < total) return PM_ERR_ENCODE;
    frame[0] = m->version; frame[1] = m->type; put16(frame + 2, m->seq);
    memcpy(frame + PM_HEADER_LEN, payload, n);
    uint16_t crc = pm_crc16(frame, PM_HEADER_LEN + n);
    frame[PM_HEADER_LEN + n] = (uint8_t)(crc >> 8);
    frame[PM_HEADER_LEN + n + 1] = (uint8_t)crc;
    *len = total;
    return PM_OK;
}

/* Trailing bytes past the fields a type defines are ignored: a later minor revision may
 * append fields (PROTOCOL.md §6). */
static int decode_payload(pm_msg_t *m, const uint8_t *p, size_t n)
{
    switch (m->type) {
    case PM_HELLO:
        if (n < 2) return PM_ERR_PAYLOAD;
        m->u.hello.min_version = p[0]; m->u.hello.max_version = p[1];
        return PM_OK;
    case PM_HELLO_REPLY: {
        pm_hello_reply_t *h = &m->u.hello_reply;
        if (n < 23) return PM_ERR_PAYLOAD;
        h->re_seq = get16(p); h->version = p[2];
        h->fw_major = p[3]; h->fw_minor = p[4]; h->fw_patch = p[5];
        h->device_id = get32(p + 6); h->boot_id = get32(p + 10);
        h->capabilities = get16(p + 14); h->heartbeat_ms = get16(p + 16);
        h->tick_hz = get32(p + 18); h->channel_count = p[22];
        if (h->channel_count > PM_MAX_CHANNELS || n < 23u + 3u * h->channel_count) return PM_ERR_PAYLOAD;
        for (uint8_t i = 0; i < h->channel_count; i++) {
            h->channels[i].id = p[23 + 3 * i];
            h->channels[i].modality = p[24 + 3 * i];
            h->channels[i].unit = p[25 + 3 * i];
        }
        return PM_OK;
    }
    case PM_HEARTBEAT:
        if (n < 10) return PM_ERR_PAYLOAD;
        m->u.heartbeat.tick = get32(p); m->u.heartbeat.flags = p[4]; m->u.heartbeat.queued = p[5];
        m->u.heartbeat.dropped = get16(p + 6); m->u.heartbeat.rx_errors = get16(p + 8);
        return PM_OK;
    case PM_SENSOR_REPORT:
        if (n < 12) return PM_ERR_PAYLOAD;
        m->u.report.channel = p[0]; m->u.report.status = p[1]; m->u.report.unit = p[2];
        m->u.report.exponent = (int8_t)p[3]; m->u.report.value = (int32_t)get32(p + 4);
        m->u.report.tick = get32(p + 8);
        return PM_OK;
    case PM_CONFIG_SET:
        if (n < 5) return PM_ERR_PAYLOAD;
        m->u.config_set.key = p[0]; m->u.config_set.value = (int32_t)get32(p + 1);
        return PM_OK;
    case PM_CONFIG_GET:
        if (n < 1) return PM_ERR_PAYLOAD;
        m->u.config_get.key = p[0];
        return PM_OK;
    case PM_CONFIG_VALUE:
        if (n < 7) return PM_ERR_PAYLOAD;
        m->u.config_value.re_seq = get16(p); m->u.config_value.key = p[2];
        m->u.config_value.value = (int32_t)get32(p + 3);
        return PM_OK;
    case PM_ACK:
        if (n < 2) return PM_ERR_PAYLOAD;
        m->u.ack.re_seq = get16(p);
        return PM_OK;
    case PM_NAK:
        if (n < 3) return PM_ERR_PAYLOAD;
        m->u.nak.re_seq = get16(p); m->u.nak.reason = p[2];
        return PM_OK;
    case PM_LOG:
        if (n < 5 || n - 5 > PM_MAX_LOG_TEXT) return PM_ERR_PAYLOAD;
        m->u.log.level = p[0]; m->u.log.tick = get32(p + 1);
        m->u.log.text_len = (uint8_t)(n - 5);
        memcpy(m->u.log.text, p + 5, n - 5);
        return PM_OK;
    case PM_TIME_SYNC:
    case PM_RESET:
        return PM_OK;
    case PM_TIME_SYNC_REPLY:
        if (n < 6) return PM_ERR_PAYLOAD;
        m->u.time_sync_reply.re_seq = get16(p); m->u.time_sync_reply.tick = get32(p + 2);
        return PM_OK;
    default:
        m->unknown_len = (uint8_t)n;
        return PM_ERR_UNKNOWN;
    }
}

int pm_msg_decode_frame(const uint8_t *frame, size_t len, pm_msg_t *m)
{
    memset(m, 0, sizeof *m);
    if (len < PM_HEADER_LEN + PM_CRC_LEN) return PM_ERR_SHORT;
    if (len > PM_MAX_FRAME) return PM_ERR_TOO_LONG;
    uint16_t want = (uint16_t)((frame[len - 2] << 8) | frame[len - 1]);
    if (pm_crc16(frame, len - PM_CRC_LEN) != want) return PM_ERR_CRC;
    m->version = frame[0]; m->type = frame[1]; m->seq = get16(frame + 2);
    if (m->version < PM_PROTO_VERSION_MIN || m->version > PM_PROTO_VERSION_MAX) return PM_ERR_VERSION;
    return decode_payload(m, frame + PM_HEADER_LEN, len - PM_HEADER_LEN - PM_CRC_LEN);
}

int pm_msg_encode_wire(const pm_msg_t *m, uint8_t *wire, size_t cap, size_t *len)
{
    uint8_t frame[PM_MAX_FRAME];
    size_t flen = 0;
    int r = pm_msg_encode_frame(m, frame, sizeof frame, &flen);
    if (r != PM_OK) return r;
    if (cap < 1) return PM_ERR_ENCODE;
    size_t n = pm_cobs_encode(frame, flen, wire, cap - 1);
    if (n == 0) return PM_ERR_ENCODE;
    wire[n] = 0;
    *len = n + 1;
    return PM_OK;
}

int pm_msg_decode_block(const uint8_t *block, size_t len, pm_msg_t *m)
{
    uint8_t frame[PM_MAX_FRAME];
    memset(m, 0, sizeof *m);
    long n = pm_cobs_decode(block, len, frame, sizeof frame);
    if (n < 0) return len > PM_MAX_WIRE ? PM_ERR_TOO_LONG : PM_ERR_COBS;
    return pm_msg_decode_frame(frame, (size_t)n, m);
}

const char *pm_result_name(int r)
{
    switch (r) {
    case PM_OK: return "OK";
    case PM_ERR_COBS: return "COBS";
    case PM_ERR_SHORT: return "SHORT";
    case PM_ERR_CRC: return "CRC";
    case PM_ERR_VERSION: return "VERSION";
    case PM_ERR_PAYLOAD: return "PAYLOAD";
    case PM_ERR_UNKNOWN: return "UNKNOWN_TYPE";
    case PM_ERR_TOO_LONG: return "TOO_LONG";
    case PM_ERR_ENCODE: return "ENCODE";
    default: return "?";
    }
}

void pm_rx_init(pm_rx_t *rx, pm_block_fn fn, void *ctx)
{
    rx->len = 0;
    rx->overflow = 0;
    rx->on_block = fn;
    rx->ctx = ctx;
}

void pm_rx_feed(pm_rx_t *rx, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        if (b != 0) {
            if (rx->len < sizeof rx->buf) rx->buf[rx->len++] = b;
            else rx->overflow = 1;
            continue;
        }
        /* Back-to-back delimiters are idle fill, not an empty frame. */
        if (rx->len == 0 && !rx->overflow) continue;
        pm_msg_t m;
        int r = rx->overflow ? PM_ERR_TOO_LONG : pm_msg_decode_block(rx->buf, rx->len, &m);
        /* The header is valid for these results, so the device can still NAK by sequence. */
        int header_ok = r == PM_OK || r == PM_ERR_UNKNOWN || r == PM_ERR_PAYLOAD || r == PM_ERR_VERSION;
        rx->on_block(rx->ctx, r, header_ok ? &m : NULL);
        rx->len = 0;
        rx->overflow = 0;
    }
}
