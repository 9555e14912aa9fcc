/* CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740): width 16, poly 0x1021, init 0xFFFF,
 * refin/refout false, xorout 0x0000, check 0x29B1 over ASCII "123456789".
 * Parameters as catalogued in Greg Cook's "Catalogue of parametrised CRC algorithms"
 * (reveng.sourceforge.io/crc-catalogue/16.htm, entry CRC-16/IBM-3740). */
#ifndef PM_CRC16_H
#define PM_CRC16_H
#include <stddef.h>
#include <stdint.h>

#define PM_CRC16_INIT 0xFFFFu
#define PM_CRC16_CHECK 0x29B1u

uint16_t pm_crc16_update(uint16_t crc, const uint8_t *data, size_t len);
uint16_t pm_crc16(const uint8_t *data, size_t len);

#endif
