/* A HAL for the unit tests and the fuzz harness: the tick is set by hand, UART output is
 * captured in a buffer, input is fed straight to the device. */
#ifndef TEST_HAL_H
#define TEST_HAL_H
#include <stddef.h>
#include <stdint.h>

extern uint32_t test_tick;
extern uint8_t test_tx[8192];
extern size_t test_tx_len;
extern int test_resets;
void test_tx_clear(void);

#endif
