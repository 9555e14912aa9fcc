#!/usr/bin/env bash
# Removes everything install.sh put on the machine. Idempotent: a second run finds
# nothing to do and succeeds.
#
#   uninstall.sh [--root DIR] [--keep-data]
#
#   --root DIR     remove the files laid out under DIR by `install.sh --root DIR`
#   --keep-data    keep /etc/place-agent (config, credentials), /var/lib/place-agent (the
#                  signed chain and outbox) and /var/log/place-agent, and the
#                  place-agent user that owns them, for a later reinstall
#
# Without --keep-data the chain database goes too: export it first
# (place-agent audit export) if anyone may still ask for it.
set -euo pipefail

root=""
keep=0
die() { echo "place-agent uninstall: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    --keep-data) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done

systemd_rundir=${PLACE_AGENT_SYSTEMD_RUNDIR:-/run/systemd/system}
if [ -z "$root" ]; then
  [ -d "$systemd_rundir" ] || die "systemd is not running on this machine ($systemd_rundir is missing); to remove files laid out with install.sh --root DIR, pass the same --root DIR"
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 $*)"
  systemctl disable --now place-agent.service 2>/dev/null || true
  systemctl reset-failed place-agent.service 2>/dev/null || true
else
  [ -d "$root" ] || exit 0
  root=$(cd "$root" && pwd)
fi

rm -f "$root/usr/lib/systemd/system/place-agent.service" \
      "$root/usr/lib/sysusers.d/place-agent.conf" \
      "$root/usr/lib/tmpfiles.d/place-agent.conf" \
      "$root/usr/lib/udev/rules.d/99-place-agent.rules" \
      "$root/usr/bin/place-agent" \
      "$root/etc/systemd/system/place-agent.service.d/ip-allow.conf"
rmdir "$root/etc/systemd/system/place-agent.service.d" 2>/dev/null || true
rm -rf "$root/usr/lib/place-agent" "$root"/usr/lib/place-agent.new.* "$root"/usr/lib/place-agent.old.*

if [ "$keep" -eq 0 ]; then
  rm -rf "$root/etc/place-agent" "$root/var/lib/place-agent" "$root/var/log/place-agent" \
         "$root/var/lib/private/place-agent" "$root/var/log/private/place-agent"
fi

if [ -n "$root" ]; then
  # Remove only the directories install.sh created and that are now empty, deepest first,
  # never the root itself.
  for d in usr/lib/systemd/system usr/lib/systemd usr/lib/sysusers.d usr/lib/tmpfiles.d \
           usr/lib/udev/rules.d usr/lib/udev usr/lib usr/bin usr etc var/lib var/log var; do
    rmdir "$root/$d" 2>/dev/null || true
  done
  echo "place-agent removed from $root"
  exit 0
fi

systemctl daemon-reload
udevadm control --reload
if [ "$keep" -eq 0 ] && getent passwd place-agent >/dev/null; then
  userdel place-agent || echo "place-agent uninstall: could not remove user place-agent" >&2
  getent group place-agent >/dev/null && groupdel place-agent 2>/dev/null || true
fi
if [ "$keep" -eq 1 ]; then
  echo "place-agent removed (configuration, state, logs and user kept)"
else
  echo "place-agent removed"
fi
