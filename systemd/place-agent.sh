#!/bin/sh
# /usr/bin/place-agent: runs the compiled agent installed in /usr/lib/place-agent/dist with the Node
# found on PATH (>= 20.6; Debian 12's own nodejs is 18, install a newer one in
# /usr/local/bin) or named by $PLACE_AGENT_NODE.
#
# Under systemd (`run` with $NOTIFY_SOCKET set) it goes through notify-exec.pl, which hands
# Node a socket for sd_notify and exec()s, so the unit's main PID stays Node's own.
set -eu
app=${PLACE_AGENT_APP_DIR:-/usr/lib/place-agent}
node=${PLACE_AGENT_NODE:-$(command -v node || true)}
if [ -z "$node" ]; then
  echo "place-agent: node not found on PATH ($PATH); install Node.js >= 20.6 or set PLACE_AGENT_NODE" >&2
  exit 127
fi
if [ "${1:-}" = run ] && [ -n "${NOTIFY_SOCKET:-}" ] && [ -z "${PLACE_AGENT_NOTIFY_FD:-}" ]; then
  exec /usr/bin/perl "$app/dist/agent/ops/notify-exec.pl" "$node" "$app/dist/agent/cli/bin.js" "$@"
fi
exec "$node" "$app/dist/agent/cli/bin.js" "$@"
