/* Renders a decoded message as the compact JSON that vectors/ (*.json files) holds under "decoded"
 * (same field names and order as firmware-bridge/host/message.ts). */
#ifndef MSG_JSON_H
#define MSG_JSON_H
#include "../core/pm_proto.h"
#include <stddef.h>

const char *pm_type_name(uint8_t type);
/* Returns the length written (excluding NUL), or -1 if `cap` is too small. */
int pm_msg_json(const pm_msg_t *m, char *out, size_t cap);

#endif
