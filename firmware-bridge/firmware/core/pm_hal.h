/* The whole board-specific surface of the reference firmware. Port the core to a new MCU by
 * implementing these functions in one file (see hal/hal_host.c, hal/hal_rp2040.c). The core
 * calls them from a single thread of control (the main loop); none is called from an ISR. */
#ifndef PM_HAL_H
#define PM_HAL_H
#include <stddef.h>
#include <stdint.h>

/* Non-blocking: copies up to `cap` received bytes into `buf`, returns how many (0 if none). */
size_t hal_uart_read(uint8_t *buf, size_t cap);
/* Queues bytes for transmission; may block until they fit in the TX buffer. */
void hal_uart_write(const uint8_t *buf, size_t len);
/* Free-running tick counter; wraps at 2^32. Its rate is hal_tick_hz(). */
uint32_t hal_tick(void);
uint32_t hal_tick_hz(void);
/* Samples channel `id`; returns a pm_status_t and writes the raw value (scaled by the
 * channel's exponent, see pm_channels.h). */
uint8_t hal_sensor_read(uint8_t id, int32_t *value);
/* Restarts the MCU (never returns on hardware). */
void hal_reset(void);
/* A number that differs between consecutive boots (reset counter in retained RAM, RNG, ...). */
uint32_t hal_boot_id(void);

#endif
