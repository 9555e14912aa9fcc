#include "msg_json.h"
#include <stdarg.h>
#include <stdio.h>

typedef struct { char *p; size_t cap, n; int bad; } sbuf;

static void put(sbuf *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s->p + s->n, s->cap - s->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= s->cap - s->n) { s->bad = 1; return; }
    s->n += (size_t)k;
}

const char *pm_type_name(uint8_t type)
{
    static const char *names[] = { "?", "HELLO", "HELLO_REPLY", "HEARTBEAT", "SENSOR_REPORT", "CONFIG_SET", "CONFIG_GET",
                                   "CONFIG_VALUE", "ACK", "NAK", "LOG", "TIME_SYNC", "TIME_SYNC_REPLY", "RESET" };
    return type < sizeof names / sizeof names[0] ? names[type] : "?";
}

int pm_msg_json(const pm_msg_t *m, char *out, size_t cap)
{
    sbuf s = { out, cap, 0, 0 };
    put(&s, "{\"version\":%u,\"type\":\"%s\",\"seq\":%u,\"body\":{", m->version, pm_type_name(m->type), m->seq);
    switch (m->type) {
    case PM_HELLO:
        put(&s, "\"minVersion\":%u,\"maxVersion\":%u", m->u.hello.min_version, m->u.hello.max_version);
        break;
    case PM_HELLO_REPLY: {
        const pm_hello_reply_t *h = &m->u.hello_reply;
        put(&s, "\"reSeq\":%u,\"version\":%u,\"fwMajor\":%u,\"fwMinor\":%u,\"fwPatch\":%u,\"deviceId\":%lu,\"bootId\":%lu,"
                "\"capabilities\":%u,\"heartbeatMs\":%u,\"tickHz\":%lu,\"channels\":[",
            h->re_seq, h->version, h->fw_major, h->fw_minor, h->fw_patch, (unsigned long)h->device_id,
            (unsigned long)h->boot_id, h->capabilities, h->heartbeat_ms, (unsigned long)h->tick_hz);
        for (uint8_t i = 0; i < h->channel_count; i++)
            put(&s, "%s{\"id\":%u,\"modality\":%u,\"unit\":%u}", i ? "," : "", h->channels[i].id, h->channels[i].modality,
                h->channels[i].unit);
        put(&s, "]");
        break;
    }
    case PM_HEARTBEAT:
        put(&s, "\"tick\":%lu,\"flags\":%u,\"queued\":%u,\"dropped\":%u,\"rxErrors\":%u", (unsigned long)m->u.heartbeat.tick,
            m->u.heartbeat.flags, m->u.heartbeat.queued, m->u.heartbeat.dropped, m->u.heartbeat.rx_errors);
        break;
    case PM_SENSOR_REPORT:
        put(&s, "\"channel\":%u,\"status\":%u,\"unit\":%u,\"exponent\":%d,\"value\":%ld,\"tick\":%lu", m->u.report.channel,
            m->u.report.status, m->u.report.unit, m->u.report.exponent, (long)m->u.report.value,
            (unsigned long)m->u.report.tick);
        break;
    case PM_CONFIG_SET:
        put(&s, "\"key\":%u,\"value\":%ld", m->u.config_set.key, (long)m->u.config_set.value);
        break;
    case PM_CONFIG_GET:
        put(&s, "\"key\":%u", m->u.config_get.key);
        break;
    case PM_CONFIG_VALUE:
        put(&s, "\"reSeq\":%u,\"key\":%u,\"value\":%ld", m->u.config_value.re_seq, m->u.config_value.key,
            (long)m->u.config_value.value);
        break;
    case PM_ACK:
        put(&s, "\"reSeq\":%u", m->u.ack.re_seq);
        break;
    case PM_NAK:
        put(&s, "\"reSeq\":%u,\"reason\":%u", m->u.nak.re_seq, m->u.nak.reason);
        break;
    case PM_LOG:
        put(&s, "\"level\":%u,\"tick\":%lu,\"text\":\"", m->u.log.level, (unsigned long)m->u.log.tick);
        for (uint8_t i = 0; i < m->u.log.text_len; i++) {
            unsigned char c = (unsigned char)m->u.log.text[i];
            if (c == '"' || c == '\\') put(&s, "\\%c", c);
            else if (c < 0x20) put(&s, "\\u%04x", c);
            else put(&s, "%c", c);
        }
        put(&s, "\"");
        break;
    case PM_TIME_SYNC_REPLY:
        put(&s, "\"reSeq\":%u,\"tick\":%lu", m->u.time_sync_reply.re_seq, (unsigned long)m->u.time_sync_reply.tick);
        break;
    default:
        break;
    }
    put(&s, "}}");
    return s.bad ? -1 : (int)s.n;
}
