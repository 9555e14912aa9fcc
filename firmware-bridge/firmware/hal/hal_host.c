/* Host HAL: the reference firmware as a Linux process, the simulated MCU of hil/ and of the
 * firmware-bridge tests. The UART is a tty (normally one end of a socat pty pair) opened
 * raw via termios; the tick is CLOCK_MONOTONIC in ms; sensors are simulated; hal_reset
 * re-executes the process, dropping injected faults as a power cycle clears a hang.
 *
 * usage: pm-sim --port PATH [--baud N] [--device-id N] [--heartbeat-ms N] [--report-ms N]
 *               [--silent-after-ms N] [--sensor-fault CH] [--ack-log PATH] [--world PATH]
 * With --world, the sensors read the simulated world from PATH (whitespace-separated integers,
 * channel 0 first: door contact, range in mm, temperature in 0.01 °C), re-read at each sample
 * so a test opens the door or fills the bay by rewriting the file; channels the file does not
 * reach (or a missing file) keep the built-in waveforms.
 * On start it prints one line to stdout:
 *   PM-SIM ready boot_id=<n> tick0_unix_ms=<ms with µs decimals> tick0_err_ms=<bound>
 * so a test knows the true host time of tick 0 and can check TIME_SYNC against it. */
#define _DEFAULT_SOURCE
#include "../core/pm_channels.h"
#include "../core/pm_device.h"
#include "../core/pm_hal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int uart_fd = -1;
static struct timespec mono0;
static uint32_t boot_id;
static int sensor_fault_ch = -1;
static FILE *ack_log;
static const char *world_path;
static char **saved_argv;
static int saved_argc;
static volatile sig_atomic_t stop;

static double ts_ms(const struct timespec *t) { return (double)t->tv_sec * 1000.0 + (double)t->tv_nsec / 1e6; }

size_t hal_uart_read(uint8_t *buf, size_t cap)
{
    ssize_t n = read(uart_fd, buf, cap);
    if (n > 0) return (size_t)n;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    /* EOF or EIO: the other end of the pty is gone. */
    fprintf(stderr, "pm-sim: uart closed (%s)\n", n == 0 ? "eof" : strerror(errno));
    exit(2);
}

void hal_uart_write(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(uart_fd, buf + off, len - off);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { uart_fd, POLLOUT, 0 };
            (void)poll(&p, 1, 10);
        } else {
            fprintf(stderr, "pm-sim: write failed (%s)\n", strerror(errno));
            exit(2);
        }
    }
}

uint32_t hal_tick(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint32_t)(uint64_t)(ts_ms(&now) - ts_ms(&mono0));
}

uint32_t hal_tick_hz(void) { return 1000u; }

/* Channel `id`'s value from the --world file; 0 when there is none. */
static int world_value(uint8_t id, int32_t *value)
{
    if (!world_path) return 0;
    FILE *f = fopen(world_path, "r");
    if (!f) return 0;
    long v = 0;
    int found = 1;
    for (unsigned i = 0; i <= id && found; i++) found = fscanf(f, "%ld", &v) == 1;
    fclose(f);
    if (found) *value = (int32_t)v;
    return found;
}

uint8_t hal_sensor_read(uint8_t id, int32_t *value)
{
    if (id <= 2 && world_value(id, value)) return (int)id == sensor_fault_ch ? PM_STATUS_FAULT : PM_STATUS_OK;
    static uint32_t n[PM_MAX_CHANNELS];
    uint32_t k = id < PM_MAX_CHANNELS ? n[id]++ : 0;
    switch (id) {
    case 0: *value = (int32_t)((k / 20u) & 1u); break;            /* door toggles every 20 samples */
    case 1: *value = (int32_t)(1500u + (k % 500u)); break;        /* range in mm, a slow ramp */
    case 2: *value = (int32_t)(2150u + (k % 7u)); break;          /* 21.50 °C plus jitter */
    default: *value = 0; return PM_STATUS_FAULT;
    }
    return (int)id == sensor_fault_ch ? PM_STATUS_FAULT : PM_STATUS_OK;
}

uint32_t hal_boot_id(void) { return boot_id; }

static int is_fault_flag(const char *a) { return strcmp(a, "--silent-after-ms") == 0 || strcmp(a, "--sensor-fault") == 0; }

void hal_reset(void)
{
    char **argv = calloc((size_t)saved_argc + 1u, sizeof *argv);
    int j = 0;
    if (!argv) exit(3);
    for (int i = 0; i < saved_argc; i++) {
        if (is_fault_flag(saved_argv[i]) && i + 1 < saved_argc) { i++; continue; }
        argv[j++] = saved_argv[i];
    }
    argv[j] = NULL;
    fflush(NULL);
    tcdrain(uart_fd);
    close(uart_fd);
    execv("/proc/self/exe", argv);
    perror("pm-sim: execv");
    exit(3);
}

static speed_t baud_const(long b)
{
    switch (b) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 230400: return B230400;
    case 460800: return B460800;
    default: return B115200;
    }
}

static void on_signal(int sig) { (void)sig; stop = 1; }

static void on_acked(void *ctx, uint32_t boot, uint16_t seq, const pm_sensor_report_t *r)
{
    (void)ctx;
    if (!ack_log) return;
    fprintf(ack_log, "%u %u %u %ld %u\n", boot, seq, r->channel, (long)r->value, r->tick);
    fflush(ack_log);
}

int main(int argc, char **argv)
{
    const char *port = NULL;
    long baud = 115200, device_id = 1, heartbeat_ms = 200, report_ms = 100, silent_after = -1;
    saved_argc = argc;
    saved_argv = argv;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--port") == 0) port = v;
        else if (strcmp(k, "--baud") == 0) baud = strtol(v, NULL, 10);
        else if (strcmp(k, "--device-id") == 0) device_id = strtol(v, NULL, 0);
        else if (strcmp(k, "--heartbeat-ms") == 0) heartbeat_ms = strtol(v, NULL, 10);
        else if (strcmp(k, "--report-ms") == 0) report_ms = strtol(v, NULL, 10);
        else if (strcmp(k, "--silent-after-ms") == 0) silent_after = strtol(v, NULL, 10);
        else if (strcmp(k, "--sensor-fault") == 0) sensor_fault_ch = (int)strtol(v, NULL, 10);
        else if (strcmp(k, "--ack-log") == 0) ack_log = fopen(v, "a");
        else if (strcmp(k, "--world") == 0) world_path = v;
        else {
            fprintf(stderr, "pm-sim: unknown option %s\n", k);
            return 64;
        }
    }
    if (!port || heartbeat_ms < 50 || heartbeat_ms > 60000 || report_ms < 10 || report_ms > 60000) {
        fprintf(stderr, "usage: pm-sim --port PATH [--baud N] [--device-id N] [--heartbeat-ms 50..60000] "
                        "[--report-ms 10..60000] [--silent-after-ms N] [--sensor-fault CH] [--ack-log PATH] [--world PATH]\n");
        return 64;
    }
    uart_fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (uart_fd < 0) {
        fprintf(stderr, "pm-sim: open %s: %s\n", port, strerror(errno));
        return 2;
    }
    struct termios tio;
    if (tcgetattr(uart_fd, &tio) == 0) {
        cfmakeraw(&tio);
        cfsetspeed(&tio, baud_const(baud));
        tio.c_cflag |= CLOCAL | CREAD;
        tcsetattr(uart_fd, TCSANOW, &tio);
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    /* Wall-clock time of tick 0: bracket the monotonic read between two realtime reads and
     * keep the tightest of a few tries, so a preemption cannot skew what tests compare with. */
    double tick0 = 0, tick0_err = 1e9;
    struct timespec real0 = { 0, 0 };
    for (int i = 0; i < 20 && tick0_err > 0.05; i++) {
        struct timespec r1, m, r2;
        clock_gettime(CLOCK_REALTIME, &r1);
        clock_gettime(CLOCK_MONOTONIC, &m);
        clock_gettime(CLOCK_REALTIME, &r2);
        double err = (ts_ms(&r2) - ts_ms(&r1)) / 2;
        if (err < tick0_err) {
            tick0_err = err;
            tick0 = (ts_ms(&r1) + ts_ms(&r2)) / 2;
            mono0 = m;
            real0 = r2;
        }
    }
    boot_id = (uint32_t)(real0.tv_nsec ^ (real0.tv_sec << 10) ^ ((long)getpid() << 20));
    if (boot_id == 0) boot_id = 1;
    printf("PM-SIM ready boot_id=%u tick0_unix_ms=%.3f tick0_err_ms=%.3f\n", boot_id, tick0, tick0_err);
    fflush(stdout);

    static pm_device_t dev;
    pm_device_init(&dev, (uint32_t)device_id, (uint16_t)heartbeat_ms, (uint16_t)report_ms);
    dev.on_acked = on_acked;

    uint8_t buf[256];
    while (!stop) {
        struct pollfd p = { uart_fd, POLLIN, 0 };
        (void)poll(&p, 1, 1);
        size_t n;
        while ((n = hal_uart_read(buf, sizeof buf)) > 0) pm_device_rx(&dev, buf, n);
        if (silent_after >= 0 && hal_tick() >= (uint32_t)silent_after) dev.silent = 1;
        pm_device_poll(&dev);
    }
    close(uart_fd);
    return 0;
}
