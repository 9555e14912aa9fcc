/* Checks firmware-bridge/vectors/ (*.json files) against the C codec: every valid vector decodes to
 * exactly its "decoded" JSON and re-encodes to exactly its "hex"; every error vector is
 * rejected with its "error" code. The files hold one vector per line (see generate.ts), so
 * a field is found by its key on the line; no general JSON parser is needed. */
#include "../core/pm_proto.h"
#include "msg_json.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checked;

/* Copies the string value of "key" on the line into out. */
static int field_string(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    if (!p) return 0;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return 0;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return 1;
}

/* Copies the object after "decoded": up to its matching brace (strings in vectors hold no braces). */
static int field_object(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":{", key);
    const char *p = strstr(line, pat);
    if (!p) return 0;
    p += strlen(pat) - 1;
    int depth = 0;
    const char *q = p;
    for (; *q; q++) {
        if (*q == '{') depth++;
        else if (*q == '}' && --depth == 0) break;
    }
    if (!*q || (size_t)(q - p + 1) >= cap) return 0;
    memcpy(out, p, (size_t)(q - p + 1));
    out[q - p + 1] = 0;
    return 1;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = strlen(h) / 2;
    if (n > cap) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) return 0;
        out[i] = (uint8_t)v;
    }
    return n;
}

static void check_line(const char *file, const char *line)
{
    char name[64], hex[2 * PM_MAX_WIRE + 2], want[1024], err[32], got[1024];
    if (!field_string(line, "name", name, sizeof name)) return;
    checked++;
    uint8_t wire[PM_MAX_WIRE];
    size_t n = field_string(line, "hex", hex, sizeof hex) ? unhex(hex, wire, sizeof wire) : 0;
    if (n < 1 || wire[n - 1] != 0) {
        fprintf(stderr, "%s %s: hex missing or not 0x00-terminated\n", file, name);
        failures++;
        return;
    }
    pm_msg_t m;
    int r = pm_msg_decode_block(wire, n - 1, &m);
    if (field_string(line, "error", err, sizeof err)) {
        if (strcmp(pm_result_name(r), err) != 0) {
            fprintf(stderr, "%s %s: expected error %s, got %s\n", file, name, err, pm_result_name(r));
            failures++;
        }
        return;
    }
    if (r != PM_OK || !field_object(line, "decoded", want, sizeof want)) {
        fprintf(stderr, "%s %s: decode failed (%s)\n", file, name, pm_result_name(r));
        failures++;
        return;
    }
    if (pm_msg_json(&m, got, sizeof got) < 0 || strcmp(got, want) != 0) {
        fprintf(stderr, "%s %s: decoded mismatch\n  want %s\n  got  %s\n", file, name, want, got);
        failures++;
        return;
    }
    uint8_t again[PM_MAX_WIRE];
    size_t an = 0;
    if (pm_msg_encode_wire(&m, again, sizeof again, &an) != PM_OK || an != n || memcmp(again, wire, n) != 0) {
        fprintf(stderr, "%s %s: re-encoding differs from hex\n", file, name);
        failures++;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_vectors FILE.json...\n");
        return 64;
    }
    static char line[8192];
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        while (fgets(line, sizeof line, f)) check_line(argv[i], line);
        fclose(f);
    }
    printf("test_vectors: %d vectors, %d failures\n", checked, failures);
    return failures || checked == 0 ? 1 : 0;
}
