/* RP2040 HAL (Raspberry Pi Pico, pico-sdk 1.5+): the reference firmware on real hardware.
 * Not built by `make test`; build it with the pico-sdk's CMake:
 *
 *   add_executable(pm_fw hal_rp2040.c ../core/pm_crc16.c ../core/pm_cobs.c ../core/pm_proto.c
 *                  ../core/pm_channels.c ../core/pm_device.c)
 *   target_link_libraries(pm_fw pico_stdlib hardware_uart hardware_adc hardware_watchdog hardware_irq pico_unique_id)
 *   pico_add_extra_outputs(pm_fw)        # then copy pm_fw.uf2 onto the Pico in BOOTSEL mode
 *
 * Wiring (3.3 V logic; the gateway's USB-UART adapter or the Pi's UART0):
 *   GP0 = UART0 TX → gateway RX, GP1 = UART0 RX ← gateway TX, GND ↔ GND.
 *   Gateway DTR → 100 nF → RUN pin (with RUN's pull-up) resets the Pico on a DTR pulse (§5.6).
 *   GP15 = dock-door contact to GND (internal pull-up; closed = 0), channel 0.
 *   GP26/ADC0 = range sensor with 0..3.3 V analogue output over 0..5000 mm, channel 1.
 *   ADC4 = on-chip temperature sensor, channel 2 (RP2040 datasheet §4.9.5).
 *
 * Porting to another MCU means writing this one file: UART read/write, a tick, the sensor
 * reads for the channel table in core/pm_channels.c, a reset and a boot id. */
#include "../core/pm_channels.h"
#include "../core/pm_device.h"
#include "../core/pm_hal.h"

#include "hardware/adc.h"
#include "hardware/gpio.h"
#include "hardware/irq.h"
#include "hardware/timer.h"
#include "hardware/uart.h"
#include "hardware/watchdog.h"
#include "pico/stdlib.h"
#include "pico/unique_id.h"

#define PM_UART uart0
#define PM_UART_IRQ UART0_IRQ
#define PM_BAUD 115200
#define PIN_TX 0
#define PIN_RX 1
#define PIN_DOOR 15
#define ADC_RANGE 0
#define ADC_TEMP 4
/* watchdog scratch registers survive a watchdog reboot (RP2040 datasheet §4.7.6): keep a
 * boot counter there, with a magic word to tell it from power-on garbage. */
#define BOOT_MAGIC 0x504D4254u /* "PMBT" */

/* RX ring filled by the UART interrupt, so no byte is lost while the main loop samples. */
static volatile uint8_t rx_ring[256];
static volatile uint8_t rx_head, rx_tail;

static void on_uart_rx(void)
{
    while (uart_is_readable(PM_UART)) {
        uint8_t b = (uint8_t)uart_getc(PM_UART);
        uint8_t next = (uint8_t)(rx_head + 1u);
        if (next != rx_tail) { /* full: drop; the CRC will reject the frame and the host retries */
            rx_ring[rx_head] = b;
            rx_head = next;
        }
    }
}

size_t hal_uart_read(uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (n < cap && rx_tail != rx_head) {
        buf[n++] = rx_ring[rx_tail];
        rx_tail = (uint8_t)(rx_tail + 1u);
    }
    return n;
}

void hal_uart_write(const uint8_t *buf, size_t len) { uart_write_blocking(PM_UART, buf, len); }

/* The 1 MHz system timer, divided to 1 kHz: wraps after 49.7 days, which the core handles. */
uint32_t hal_tick(void) { return (uint32_t)(time_us_64() / 1000u); }
uint32_t hal_tick_hz(void) { return 1000u; }

uint8_t hal_sensor_read(uint8_t id, int32_t *value)
{
    switch (id) {
    case 0:
        *value = gpio_get(PIN_DOOR) ? 1 : 0; /* 1 = open (contact released) */
        return PM_STATUS_OK;
    case 1: {
        adc_select_input(ADC_RANGE);
        uint16_t raw = adc_read(); /* 12 bit */
        *value = (int32_t)((uint32_t)raw * 5000u / 4095u);
        if (raw < 8 || raw > 4087) return PM_STATUS_OUT_OF_RANGE; /* rail: open or shorted wire */
        return PM_STATUS_OK;
    }
    case 2: {
        adc_select_input(ADC_TEMP);
        /* RP2040 datasheet §4.9.5: T = 27 − (V − 0.706)/0.001721, in hundredths of °C. */
        int32_t mv = (int32_t)((uint32_t)adc_read() * 3300u / 4095u);
        *value = 2700 - (mv - 706) * 100000 / 1721;
        return PM_STATUS_OK;
    }
    default:
        *value = 0;
        return PM_STATUS_FAULT;
    }
}

void hal_reset(void)
{
    uart_tx_wait_blocking(PM_UART); /* let the ACK of RESET leave first */
    watchdog_reboot(0, 0, 0);
    for (;;) {
    }
}

uint32_t hal_boot_id(void)
{
    if (watchdog_hw->scratch[0] != BOOT_MAGIC) {
        watchdog_hw->scratch[0] = BOOT_MAGIC;
        watchdog_hw->scratch[1] = (uint32_t)time_us_64(); /* power-on: seed from timer jitter */
    }
    watchdog_hw->scratch[1] += 1u;
    return watchdog_hw->scratch[1] ? watchdog_hw->scratch[1] : 1u;
}

int main(void)
{
    uart_init(PM_UART, PM_BAUD);
    gpio_set_function(PIN_TX, GPIO_FUNC_UART);
    gpio_set_function(PIN_RX, GPIO_FUNC_UART);
    uart_set_format(PM_UART, 8, 1, UART_PARITY_NONE);
    uart_set_fifo_enabled(PM_UART, true);
    irq_set_exclusive_handler(PM_UART_IRQ, on_uart_rx);
    irq_set_enabled(PM_UART_IRQ, true);
    uart_set_irq_enables(PM_UART, true, false);

    gpio_init(PIN_DOOR);
    gpio_set_dir(PIN_DOOR, GPIO_IN);
    gpio_pull_up(PIN_DOOR);
    adc_init();
    adc_gpio_init(26 + ADC_RANGE);
    adc_set_temp_sensor_enabled(true);

    /* A hung main loop is reset by the hardware watchdog; the host then sees a new boot. */
    watchdog_enable(2000, true);

    /* Device id: the flash chip's 64-bit unique id folded to 32 bits (stable across boots). */
    pico_unique_board_id_t uid;
    pico_get_unique_board_id(&uid);
    uint32_t device_id = 0;
    for (int i = 0; i < PICO_UNIQUE_BOARD_ID_SIZE_BYTES; i++) device_id = (device_id << 8 | device_id >> 24) ^ uid.id[i];

    static pm_device_t dev;
    pm_device_init(&dev, device_id, 1000, 500);
    uint8_t buf[64];
    for (;;) {
        size_t n = hal_uart_read(buf, sizeof buf);
        if (n) pm_device_rx(&dev, buf, n);
        pm_device_poll(&dev);
        watchdog_update();
    }
}
