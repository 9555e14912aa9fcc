#include "test_hal.h"
#include "../core/pm_hal.h"
#include "../core/pm_proto.h"
#include <string.h>

uint32_t test_tick;
uint8_t test_tx[8192];
size_t test_tx_len;
int test_resets;

void test_tx_clear(void) { test_tx_len = 0; }

size_t hal_uart_read(uint8_t *buf, size_t cap)
{
    (void)buf;
    (void)cap;
    return 0;
}

void hal_uart_write(const uint8_t *buf, size_t len)
{
    if (test_tx_len + len > sizeof test_tx) test_tx_len = 0;
    memcpy(test_tx + test_tx_len, buf, len);
    test_tx_len += len;
}

uint32_t hal_tick(void) { return test_tick; }
uint32_t hal_tick_hz(void) { return 1000u; }

uint8_t hal_sensor_read(uint8_t id, int32_t *value)
{
    *value = 100 + id;
    return PM_STATUS_OK;
}

void hal_reset(void) { test_resets++; }
uint32_t hal_boot_id(void) { return 0xB007u; }
