#!/usr/bin/env bash
# Installs the real software peers the test suite drives (swtpm, tpm2-tools, gpsd and its
# clients, socat, mosquitto, tmux) from Debian's archive when any is missing. Idempotent:
# on a machine that has them all it only checks and returns.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have swtpm || need+=(swtpm swtpm-tools)
have tpm2_readpublic || need+=(tpm2-tools)
have gpsd || need+=(gpsd)
have gpsdecode || need+=(gpsd-clients)
have socat || need+=(socat)
have mosquitto || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
have tmux || need+=(tmux)
have gcc || need+=(gcc)
have make || need+=(make)
have systemd-analyze || need+=(systemd)
have perl || need+=(perl)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "place-agent tests need these Debian packages: ${need[*]}" >&2
  echo "run as root, or: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi

echo "installing test peers: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian starts services on install; the tests run their own instances on ephemeral ports.
for svc in mosquitto gpsd gpsd.socket; do
  systemctl stop "$svc" >/dev/null 2>&1 || true
done
