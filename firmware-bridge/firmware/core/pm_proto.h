/* Message layer of the place-agent MCU protocol, version 1 (firmware-bridge/PROTOCOL.md).
 * All multi-byte integers are little-endian; the CRC trailer is big-endian (§3). */
#ifndef PM_PROTO_H
#define PM_PROTO_H
#include <stddef.h>
#include <stdint.h>

#define PM_PROTO_VERSION_MIN 1u
#define PM_PROTO_VERSION_MAX 1u
/* Header version of every frame sent outside a session and of HELLO/HELLO_REPLY: frozen at 1
 * so any two revisions can always negotiate (PROTOCOL.md §6). */
#define PM_HANDSHAKE_VERSION 1u

#define PM_HEADER_LEN 4u
#define PM_CRC_LEN 2u
#define PM_MAX_PAYLOAD 96u
#define PM_MAX_FRAME (PM_HEADER_LEN + PM_MAX_PAYLOAD + PM_CRC_LEN)
/* Largest block on the wire: COBS of a full frame plus the 0x00 delimiter. */
#define PM_MAX_WIRE (PM_MAX_FRAME + PM_MAX_FRAME / 254u + 2u)
#define PM_MAX_CHANNELS 8u
#define PM_MAX_LOG_TEXT 64u

typedef enum {
    PM_HELLO = 0x01,
    PM_HELLO_REPLY = 0x02,
    PM_HEARTBEAT = 0x03,
    PM_SENSOR_REPORT = 0x04,
    PM_CONFIG_SET = 0x05,
    PM_CONFIG_GET = 0x06,
    PM_CONFIG_VALUE = 0x07,
    PM_ACK = 0x08,
    PM_NAK = 0x09,
    PM_LOG = 0x0A,
    PM_TIME_SYNC = 0x0B,
    PM_TIME_SYNC_REPLY = 0x0C,
    PM_RESET = 0x0D
} pm_type_t;

typedef enum {
    PM_NAK_BAD_VERSION = 1,
    PM_NAK_UNKNOWN_TYPE = 2,
    PM_NAK_BAD_KEY = 3,
    PM_NAK_BAD_VALUE = 4,
    PM_NAK_BAD_PAYLOAD = 5,
    PM_NAK_NO_SESSION = 6
} pm_nak_reason_t;

typedef enum { PM_STATUS_OK = 0, PM_STATUS_STALE = 1, PM_STATUS_FAULT = 2, PM_STATUS_OUT_OF_RANGE = 3 } pm_status_t;
typedef enum { PM_MOD_MCU = 0, PM_MOD_DOOR = 1, PM_MOD_RANGE = 2, PM_MOD_METER = 3 } pm_modality_t;
typedef enum { PM_UNIT_NONE = 0, PM_UNIT_BOOL = 1, PM_UNIT_MM = 2, PM_UNIT_DEGC = 3, PM_UNIT_W = 4, PM_UNIT_PCT = 5 } pm_unit_t;
typedef enum { PM_CFG_HEARTBEAT_MS = 1, PM_CFG_REPORT_MS = 2, PM_CFG_CHANNEL_MASK = 3 } pm_config_key_t;

#define PM_CAP_TIME_SYNC 0x0001u
#define PM_CAP_CONFIG 0x0002u
#define PM_CAP_RESET 0x0004u
#define PM_CAP_LOG 0x0008u

#define PM_HB_SESSION 0x01u

typedef struct {
    uint8_t id;
    uint8_t modality;
    uint8_t unit;
} pm_channel_desc_t;

typedef struct { uint8_t min_version, max_version; } pm_hello_t;
typedef struct {
    uint16_t re_seq;
    uint8_t version;
    uint8_t fw_major, fw_minor, fw_patch;
    uint32_t device_id;
    uint32_t boot_id;
    uint16_t capabilities;
    uint16_t heartbeat_ms;
    uint32_t tick_hz;
    uint8_t channel_count;
    pm_channel_desc_t channels[PM_MAX_CHANNELS];
} pm_hello_reply_t;
typedef struct {
    uint32_t tick;
    uint8_t flags;
    uint8_t queued;
    uint16_t dropped;
    uint16_t rx_errors;
} pm_heartbeat_t;
typedef struct {
    uint8_t channel;
    uint8_t status;
    uint8_t unit;
    int8_t exponent;
    int32_t value;
    uint32_t tick;
} pm_sensor_report_t;
typedef struct { uint8_t key; int32_t value; } pm_config_set_t;
typedef struct { uint8_t key; } pm_config_get_t;
typedef struct { uint16_t re_seq; uint8_t key; int32_t value; } pm_config_value_t;
typedef struct { uint16_t re_seq; } pm_ack_t;
typedef struct { uint16_t re_seq; uint8_t reason; } pm_nak_t;
typedef struct {
    uint8_t level;
    uint32_t tick;
    uint8_t text_len;
    char text[PM_MAX_LOG_TEXT];
} pm_log_t;
typedef struct { uint16_t re_seq; uint32_t tick; } pm_time_sync_reply_t;

typedef struct {
    uint8_t version;
    uint8_t type;
    uint16_t seq;
    union {
        pm_hello_t hello;
        pm_hello_reply_t hello_reply;
        pm_heartbeat_t heartbeat;
        pm_sensor_report_t report;
        pm_config_set_t config_set;
        pm_config_get_t config_get;
        pm_config_value_t config_value;
        pm_ack_t ack;
        pm_nak_t nak;
        pm_log_t log;
        pm_time_sync_reply_t time_sync_reply;
    } u;
    /* For a type this firmware does not know: the payload length, body left unparsed. */
    uint8_t unknown_len;
} pm_msg_t;

typedef enum {
    PM_OK = 0,
    PM_ERR_COBS = -1,     /* malformed COBS block */
    PM_ERR_SHORT = -2,    /* shorter than header + CRC */
    PM_ERR_CRC = -3,      /* CRC trailer does not match */
    PM_ERR_VERSION = -4,  /* header version 0 or above PM_PROTO_VERSION_MAX */
    PM_ERR_PAYLOAD = -5,  /* known type, payload too short or inconsistent */
    PM_ERR_UNKNOWN = -6,  /* well-formed frame of a type this side does not know */
    PM_ERR_TOO_LONG = -7, /* block exceeds PM_MAX_FRAME */
    PM_ERR_ENCODE = -8    /* message cannot be encoded (value out of range) */
} pm_result_t;

/* Frame (header + payload + CRC, not yet COBS-encoded) <-> message. */
int pm_msg_encode_frame(const pm_msg_t *m, uint8_t *frame, size_t cap, size_t *len);
int pm_msg_decode_frame(const uint8_t *frame, size_t len, pm_msg_t *m);

/* Message <-> wire block (COBS + trailing 0x00). */
int pm_msg_encode_wire(const pm_msg_t *m, uint8_t *wire, size_t cap, size_t *len);
/* `block` is one delimited block without its 0x00. */
int pm_msg_decode_block(const uint8_t *block, size_t len, pm_msg_t *m);

const char *pm_result_name(int r);

/* Incremental receiver: feeds bytes, calls back once per 0x00-delimited block. Blocks longer
 * than PM_MAX_WIRE are discarded up to the next delimiter and reported as PM_ERR_TOO_LONG. */
typedef void (*pm_block_fn)(void *ctx, int result, const pm_msg_t *m);
typedef struct {
    uint8_t buf[PM_MAX_WIRE];
    size_t len;
    uint8_t overflow;
    pm_block_fn on_block;
    void *ctx;
} pm_rx_t;

void pm_rx_init(pm_rx_t *rx, pm_block_fn fn, void *ctx);
void pm_rx_feed(pm_rx_t *rx, const uint8_t *data, size_t len);

#endif
