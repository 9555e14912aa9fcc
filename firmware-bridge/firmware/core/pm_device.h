/* The device side of the protocol: a single-threaded state machine driven by the main loop.
 * Reports are sent stop-and-wait: one SENSOR_REPORT outstanding, retransmitted with the same
 * sequence number until the host ACKs it, queued (oldest dropped and counted) meanwhile. */
#ifndef PM_DEVICE_H
#define PM_DEVICE_H
#include "pm_proto.h"

#define PM_REPORT_QUEUE 64u
#define PM_RETRANSMIT_MS 100u
#define PM_FW_MAJOR 1u
#define PM_FW_MINOR 0u
#define PM_FW_PATCH 0u

typedef void (*pm_acked_fn)(void *ctx, uint32_t boot_id, uint16_t seq, const pm_sensor_report_t *r);

typedef struct {
    uint32_t device_id;
    uint32_t boot_id;
    uint16_t heartbeat_ms;
    uint16_t report_ms;
    uint32_t channel_mask;

    uint8_t session;
    uint8_t version;
    uint16_t tx_seq;

    pm_sensor_report_t queue[PM_REPORT_QUEUE];
    uint8_t q_head;
    uint8_t q_count;

    uint8_t outstanding;
    uint16_t outstanding_seq;
    uint8_t out_wire[PM_MAX_WIRE];
    size_t out_len;
    uint32_t out_tick;

    uint32_t last_hb_tick;
    uint32_t last_sample_tick;
    uint16_t dropped;
    uint16_t rx_errors;
    uint32_t unknown_types;
    uint32_t retransmits;
    uint32_t samples;

    uint8_t silent;        /* fault injection: transmit nothing */
    uint8_t reset_pending; /* RESET acknowledged; reset on the next poll */

    pm_acked_fn on_acked;
    void *acked_ctx;
    pm_rx_t rx;
} pm_device_t;

void pm_device_init(pm_device_t *d, uint32_t device_id, uint16_t heartbeat_ms, uint16_t report_ms);
void pm_device_rx(pm_device_t *d, const uint8_t *bytes, size_t len);
/* Call often (every millisecond or so): heartbeats, sampling, (re)transmission, reset. */
void pm_device_poll(pm_device_t *d);

#endif
