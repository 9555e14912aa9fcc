#include "pm_crc16.h"

/* Bitwise MSB-first form: small enough for any MCU, no 512-byte table in flash. */
uint16_t pm_crc16_update(uint16_t crc, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint16_t)data[i] << 8);
        for (int b = 0; b < 8; b++) {
            uint16_t shifted = (uint16_t)(crc << 1);
            crc = (crc & 0x8000u) ? (uint16_t)(shifted ^ 0x1021u) : shifted;
        }
    }
    return crc;
}

uint16_t pm_crc16(const uint8_t *data, size_t len)
{
    return pm_crc16_update(PM_CRC16_INIT, data, len);
}
