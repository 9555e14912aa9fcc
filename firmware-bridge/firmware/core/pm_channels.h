/* The channel table: what this board measures. HELLO_REPLY announces it, so the host knows
 * each channel's modality and unit before the first SENSOR_REPORT. */
#ifndef PM_CHANNELS_H
#define PM_CHANNELS_H
#include "pm_proto.h"

typedef struct {
    pm_channel_desc_t desc;
    int8_t exponent; /* value = raw * 10^exponent, in `desc.unit` */
} pm_channel_t;

extern const pm_channel_t pm_channels[];
extern const uint8_t pm_channel_count;

const pm_channel_t *pm_channel_find(uint8_t id);

#endif
