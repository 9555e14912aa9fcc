#include "pm_device.h"
#include "pm_channels.h"
#include "pm_hal.h"
#include <string.h>

static uint32_t ms_to_ticks(uint32_t ms)
{
    return (uint32_t)(((uint64_t)ms * hal_tick_hz() + 999u) / 1000u);
}

/* Unsigned subtraction is modulo 2^32, so intervals stay right across tick wrap-around. */
static int elapsed(uint32_t now, uint32_t since, uint32_t ms) { return (uint32_t)(now - since) >= ms_to_ticks(ms); }

static void transmit(pm_device_t *d, const uint8_t *wire, size_t len)
{
    if (!d->silent) hal_uart_write(wire, len);
}

static void send(pm_device_t *d, pm_msg_t *m)
{
    uint8_t wire[PM_MAX_WIRE];
    size_t len = 0;
    m->version = (d->session && m->type != PM_HELLO_REPLY) ? d->version : PM_HANDSHAKE_VERSION;
    m->seq = d->tx_seq++;
    if (pm_msg_encode_wire(m, wire, sizeof wire, &len) == PM_OK) transmit(d, wire, len);
}

static void send_ack(pm_device_t *d, uint16_t re_seq)
{
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PM_ACK;
    m.u.ack.re_seq = re_seq;
    send(d, &m);
}

static void send_nak(pm_device_t *d, uint16_t re_seq, uint8_t reason)
{
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PM_NAK;
    m.u.nak.re_seq = re_seq;
    m.u.nak.reason = reason;
    send(d, &m);
}

static void send_hello_reply(pm_device_t *d, uint16_t re_seq)
{
    pm_msg_t m;
    memset(&m, 0, sizeof m);
    m.type = PM_HELLO_REPLY;
    pm_hello_reply_t *h = &m.u.hello_reply;
    h->re_seq = re_seq;
    h->version = d->version;
    h->fw_major = PM_FW_MAJOR; h->fw_minor = PM_FW_MINOR; h->fw_patch = PM_FW_PATCH;
    h->device_id = d->device_id;
    h->boot_id = d->boot_id;
    h->capabilities = PM_CAP_TIME_SYNC | PM_CAP_CONFIG | PM_CAP_RESET | PM_CAP_LOG;
    h->heartbeat_ms = d->heartbeat_ms;
    h->tick_hz = hal_tick_hz();
    h->channel_count = pm_channel_count;
    for (uint8_t i = 0; i < pm_channel_count && i < PM_MAX_CHANNELS; i++) h->channels[i] = pm_channels[i].desc;
    send(d, &m);
}

static int config_read(const pm_device_t *d, uint8_t key, int32_t *value)
{
    switch (key) {
    case PM_CFG_HEARTBEAT_MS: *value = d->heartbeat_ms; return 1;
    case PM_CFG_REPORT_MS: *value = d->report_ms; return 1;
    case PM_CFG_CHANNEL_MASK: *value = (int32_t)d->channel_mask; return 1;
    default: return 0;
    }
}

/* Returns 0 on success or a pm_nak_reason_t. */
static uint8_t config_write(pm_device_t *d, uint8_t key, int32_t value)
{
    switch (key) {
    case PM_CFG_HEARTBEAT_MS:
        if (value < 50 || value > 60000) return PM_NAK_BAD_VALUE;
        d->heartbeat_ms = (uint16_t)value;
        return 0;
    case PM_CFG_REPORT_MS:
        if (value < 10 || value > 60000) return PM_NAK_BAD_VALUE;
        d->report_ms = (uint16_t)value;
        return 0;
    case PM_CFG_CHANNEL_MASK:
        if (value < 0 || (uint32_t)value >= (1u << pm_channel_count)) return PM_NAK_BAD_VALUE;
        d->channel_mask = (uint32_t)value;
        return 0;
    default:
        return PM_NAK_BAD_KEY;
    }
}

static void handle(pm_device_t *d, const pm_msg_t *m)
{
    switch (m->type) {
    case PM_HELLO: {
        uint8_t lo = m->u.hello.min_version > PM_PROTO_VERSION_MIN ? m->u.hello.min_version : PM_PROTO_VERSION_MIN;
        uint8_t hi = m->u.hello.max_version < PM_PROTO_VERSION_MAX ? m->u.hello.max_version : PM_PROTO_VERSION_MAX;
        if (lo > hi) {
            send_nak(d, m->seq, PM_NAK_BAD_VERSION);
            return;
        }
        d->version = hi;
        d->session = 1;
        send_hello_reply(d, m->seq);
        /* A new host may have missed the outstanding report: resend it at once, same seq. */
        if (d->outstanding) d->out_tick = hal_tick() - ms_to_ticks(PM_RETRANSMIT_MS);
        return;
    }
    case PM_RESET:
        send_ack(d, m->seq);
        d->reset_pending = 1;
        return;
    case PM_ACK:
        if (d->outstanding && m->u.ack.re_seq == d->outstanding_seq) {
            pm_sensor_report_t *r = &d->queue[d->q_head];
            if (d->on_acked) d->on_acked(d->acked_ctx, d->boot_id, d->outstanding_seq, r);
            d->q_head = (uint8_t)((d->q_head + 1u) % PM_REPORT_QUEUE);
            d->q_count--;
            d->outstanding = 0;
        }
        return;
    case PM_NAK:
        return;
    default:
        break;
    }
    if (!d->session) {
        if (m->type == PM_CONFIG_SET || m->type == PM_CONFIG_GET || m->type == PM_TIME_SYNC)
            send_nak(d, m->seq, PM_NAK_NO_SESSION);
        return;
    }
    switch (m->type) {
    case PM_CONFIG_SET: {
        uint8_t reason = config_write(d, m->u.config_set.key, m->u.config_set.value);
        if (reason) send_nak(d, m->seq, reason);
        else send_ack(d, m->seq);
        return;
    }
    case PM_CONFIG_GET: {
        pm_msg_t r;
        memset(&r, 0, sizeof r);
        if (!config_read(d, m->u.config_get.key, &r.u.config_value.value)) {
            send_nak(d, m->seq, PM_NAK_BAD_KEY);
            return;
        }
        r.type = PM_CONFIG_VALUE;
        r.u.config_value.re_seq = m->seq;
        r.u.config_value.key = m->u.config_get.key;
        send(d, &r);
        return;
    }
    case PM_TIME_SYNC: {
        pm_msg_t r;
        memset(&r, 0, sizeof r);
        r.type = PM_TIME_SYNC_REPLY;
        r.u.time_sync_reply.re_seq = m->seq;
        r.u.time_sync_reply.tick = hal_tick();
        send(d, &r);
        return;
    }
    default:
        /* Device-to-host types arriving here are echoes or noise: ignored. */
        return;
    }
}

static void on_block(void *ctx, int result, const pm_msg_t *m)
{
    pm_device_t *d = ctx;
    if (result == PM_OK) {
        handle(d, m);
        return;
    }
    if (result == PM_ERR_UNKNOWN && m) {
        /* PROTOCOL.md §6: counted and ignored; the NAK spares the sender its timeout. */
        d->unknown_types++;
        send_nak(d, m->seq, PM_NAK_UNKNOWN_TYPE);
        return;
    }
    d->rx_errors++;
    if (m && result == PM_ERR_PAYLOAD) send_nak(d, m->seq, PM_NAK_BAD_PAYLOAD);
}

void pm_device_init(pm_device_t *d, uint32_t device_id, uint16_t heartbeat_ms, uint16_t report_ms)
{
    memset(d, 0, sizeof *d);
    d->device_id = device_id;
    d->boot_id = hal_boot_id();
    d->heartbeat_ms = heartbeat_ms;
    d->report_ms = report_ms;
    d->channel_mask = (1u << pm_channel_count) - 1u;
    d->version = PM_PROTO_VERSION_MAX;
    uint32_t now = hal_tick();
    d->last_hb_tick = now - ms_to_ticks(heartbeat_ms); /* announce ourselves at once */
    d->last_sample_tick = now;
    pm_rx_init(&d->rx, on_block, d);
}

void pm_device_rx(pm_device_t *d, const uint8_t *bytes, size_t len)
{
    pm_rx_feed(&d->rx, bytes, len);
}

static void enqueue(pm_device_t *d, const pm_sensor_report_t *r)
{
    if (d->q_count == PM_REPORT_QUEUE) {
        /* Drop the oldest report, but never the outstanding head: the host may already hold
         * it, so it moves into the dropped report's slot instead. */
        uint8_t next = (uint8_t)((d->q_head + 1u) % PM_REPORT_QUEUE);
        if (d->outstanding) d->queue[next] = d->queue[d->q_head];
        d->q_head = next;
        d->q_count--;
        d->dropped++;
    }
    d->queue[(d->q_head + d->q_count) % PM_REPORT_QUEUE] = *r;
    d->q_count++;
}

static void sample(pm_device_t *d, uint32_t now)
{
    for (uint8_t i = 0; i < pm_channel_count; i++) {
        if (!(d->channel_mask & (1u << i))) continue;
        pm_sensor_report_t r;
        memset(&r, 0, sizeof r);
        r.channel = pm_channels[i].desc.id;
        r.unit = pm_channels[i].desc.unit;
        r.exponent = pm_channels[i].exponent;
        r.status = hal_sensor_read(r.channel, &r.value);
        r.tick = now;
        enqueue(d, &r);
        d->samples++;
    }
}

void pm_device_poll(pm_device_t *d)
{
    if (d->reset_pending) {
        d->reset_pending = 0;
        hal_reset();
        return;
    }
    uint32_t now = hal_tick();
    if (elapsed(now, d->last_hb_tick, d->heartbeat_ms)) {
        d->last_hb_tick = now;
        pm_msg_t m;
        memset(&m, 0, sizeof m);
        m.type = PM_HEARTBEAT;
        m.u.heartbeat.tick = now;
        m.u.heartbeat.flags = d->session ? PM_HB_SESSION : 0;
        m.u.heartbeat.queued = d->q_count;
        m.u.heartbeat.dropped = d->dropped;
        m.u.heartbeat.rx_errors = d->rx_errors;
        send(d, &m);
    }
    if (elapsed(now, d->last_sample_tick, d->report_ms)) {
        d->last_sample_tick = now;
        sample(d, now);
    }
    if (!d->session || d->q_count == 0) return;
    if (!d->outstanding) {
        pm_msg_t m;
        memset(&m, 0, sizeof m);
        m.type = PM_SENSOR_REPORT;
        m.u.report = d->queue[d->q_head];
        m.version = d->version;
        m.seq = d->tx_seq++;
        if (pm_msg_encode_wire(&m, d->out_wire, sizeof d->out_wire, &d->out_len) != PM_OK) return;
        d->outstanding = 1;
        d->outstanding_seq = m.seq;
        d->out_tick = now;
        transmit(d, d->out_wire, d->out_len);
    } else if (elapsed(now, d->out_tick, PM_RETRANSMIT_MS)) {
        d->out_tick = now;
        d->retransmits++;
        transmit(d, d->out_wire, d->out_len);
    }
}
