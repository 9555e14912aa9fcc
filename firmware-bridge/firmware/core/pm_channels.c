#include "pm_channels.h"

/* Reference table: a dock-door contact, a bay range sensor and a board temperature. A board
 * port edits this table and its hal_sensor_read. */
const pm_channel_t pm_channels[] = {
    { { 0, PM_MOD_DOOR, PM_UNIT_BOOL }, 0 },
    { { 1, PM_MOD_RANGE, PM_UNIT_MM }, 0 },
    { { 2, PM_MOD_MCU, PM_UNIT_DEGC }, -2 },
};
const uint8_t pm_channel_count = (uint8_t)(sizeof pm_channels / sizeof pm_channels[0]);

const pm_channel_t *pm_channel_find(uint8_t id)
{
    for (uint8_t i = 0; i < pm_channel_count; i++)
        if (pm_channels[i].desc.id == id) return &pm_channels[i];
    return 0;
}
