#!/usr/bin/env bash
# Installs place-agent as a systemd service. Idempotent: running it again replaces the
# application and the unit files with the same content and never touches an existing
# /etc/place-agent/config.yaml. See systemd/README.md for what goes where.
#
#   install.sh [--root DIR] [--app DIR] [--config FILE] [--start]
#
#   --root DIR     lay the files out under DIR (a package build or a test); nothing is
#                  enabled, no user is created, systemd need not be present
#   --app DIR      the application to install: a checkout with the compiled agent in
#                  dist/ and its production node_modules (npm ci && npm run build &&
#                  npm prune --omit=dev); default: this script's checkout
#   --config FILE  initial /etc/place-agent/config.yaml when none exists yet
#   --start        start (or restart) the service once installed
set -euo pipefail
# Directories this script makes are 0755, whatever the caller's umask (a 002 umask would
# otherwise leave them group-writable).
umask 022

here=$(cd "$(dirname "$0")" && pwd)
root=""
app="$(dirname "$here")"
config=""
start=0

die() { echo "place-agent install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; root=$2; shift 2 ;;
    --root=*) root=${1#--root=}; shift ;;
    --app) [ $# -ge 2 ] || die "--app needs a directory"; app=$2; shift 2 ;;
    --app=*) app=${1#--app=}; shift ;;
    --config) [ $# -ge 2 ] || die "--config needs a file"; config=$2; shift 2 ;;
    --config=*) config=${1#--config=}; shift ;;
    --start) start=1; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done

# sd_booted(3): systemd is the running init exactly when this directory exists. The
# override lets a test check the refusal on a machine that does run systemd.
systemd_rundir=${PLACE_AGENT_SYSTEMD_RUNDIR:-/run/systemd/system}
if [ -z "$root" ]; then
  [ -d "$systemd_rundir" ] || die "systemd is not running on this machine ($systemd_rundir is missing).
place-agent is installed as a systemd service and needs systemd as init.
To only lay out the files (for a package or an image), use --root DIR."
  [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0 $*)"
  for tool in systemctl systemd-sysusers systemd-tmpfiles udevadm perl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; it ships with systemd/udev/perl-base"
  done
else
  mkdir -p "$root"
  root=$(cd "$root" && pwd)
fi

[ -d "$app" ] || die "application directory $app does not exist"
app=$(cd "$app" && pwd)
[ -f "$app/package.json" ] || die "$app has no package.json: not a place-agent checkout"
[ -f "$app/dist/agent/cli/bin.js" ] || die "$app has no dist/agent/cli/bin.js: build it first (npm ci && npm run build)"
[ -f "$app/dist/agent/ops/notify-exec.pl" ] || die "$app has no dist/agent/ops/notify-exec.pl: build it first (npm run build)"
[ -d "$app/node_modules" ] || die "$app has no node_modules: run 'npm ci && npm run build && npm prune --omit=dev' there first"

# What the application is made of: the compiled agent and its runtime dependencies; the
# TypeScript sources, tests and the rig stay out.
app_parts=(package.json package-lock.json dist node_modules)

# Installed code runs with the device key, so it belongs to root and nobody else can change
# it: owner root (when we are root; a package build under --root sets owners in its archive),
# no write bit for group or others whatever modes the checkout had.
owner=()
[ "$(id -u)" -eq 0 ] && owner=(-o root -g root)

install_file() { # mode source destination
  local dest="$root$3"
  mkdir -p "$(dirname "$dest")"
  install "${owner[@]}" -m "$1" "$2" "$dest.tmp.$$"
  mv -f "$dest.tmp.$$" "$dest"
}

install_file 0644 "$here/place-agent.service" /usr/lib/systemd/system/place-agent.service
install_file 0644 "$here/place-agent.sysusers" /usr/lib/sysusers.d/place-agent.conf
install_file 0644 "$here/place-agent.tmpfiles" /usr/lib/tmpfiles.d/place-agent.conf
install_file 0644 "$here/99-place-agent.rules" /usr/lib/udev/rules.d/99-place-agent.rules
install_file 0755 "$here/place-agent.sh" /usr/bin/place-agent

# The application: copied to a staging directory, then swapped in, so a failed copy never
# leaves half an application behind and a second run leaves exactly what the first did.
libdir="$root/usr/lib/place-agent"
stage="$libdir.new.$$"
rm -rf "$stage"
mkdir -p "$stage/systemd"
for part in "${app_parts[@]}"; do
  [ -e "$app/$part" ] && cp -R "$app/$part" "$stage/"
done
cp "$here/README.md" "$stage/systemd/README.md"
# u=rwX,go=rX: directories and executables 0755, everything else 0644 (set-id bits dropped).
chmod -R u=rwX,go=rX "$stage"
[ "$(id -u)" -eq 0 ] && chown -hR root:root "$stage"
rm -rf "$libdir.old.$$"
[ -d "$libdir" ] && mv "$libdir" "$libdir.old.$$"
mv "$stage" "$libdir"
rm -rf "$libdir.old.$$"

# The configuration belongs to the operator: written once, never overwritten.
confdir="$root/etc/place-agent"
if [ ! -e "$confdir/config.yaml" ]; then
  mkdir -p "$confdir"
  if [ -n "$config" ]; then
    [ -f "$config" ] || die "--config $config does not exist"
    install -m 0640 "$config" "$confdir/config.yaml"
  else
    cat >"$confdir/config.yaml.tmp.$$" <<'EOF'
# place-agent configuration. Start from an example in
#   /usr/lib/place-agent/dist/agent/config/examples/ (berth.yaml, charger.yaml, dock.yaml)
# Fill this in, then:
#   place-agent config check /etc/place-agent/config.yaml && systemctl start place-agent
# The service refuses to start (ExecStartPre= runs `config check`) until it is valid.
EOF
    chmod 0640 "$confdir/config.yaml.tmp.$$"
    mv "$confdir/config.yaml.tmp.$$" "$confdir/config.yaml"
  fi
fi

if [ -n "$root" ]; then
  echo "place-agent installed under $root (not activated)"
  exit 0
fi

systemd-sysusers place-agent.conf
systemd-tmpfiles --create place-agent.conf
chgrp place-agent "$confdir" "$confdir/config.yaml"
# The unit denies all IP traffic but loopback; this drop-in allows the peers the configuration
# names (broker, remote gpsd, serial over TCP). Only a valid configuration has any to allow.
dropin=/etc/systemd/system/place-agent.service.d/ip-allow.conf
if /usr/bin/place-agent config check "$confdir/config.yaml" >/dev/null 2>&1; then
  mkdir -p "$(dirname "$dropin")"
  /usr/bin/place-agent config ip-allow "$confdir/config.yaml" >"$dropin.tmp.$$"
  mv -f "$dropin.tmp.$$" "$dropin"
else
  echo "note: once /etc/place-agent/config.yaml is filled in, allow its broker through the unit's IP filter:"
  echo "  place-agent config ip-allow /etc/place-agent/config.yaml > $dropin && systemctl daemon-reload"
fi
udevadm control --reload
udevadm trigger --action=add --subsystem-match=tty --subsystem-match=tpmrm
systemctl daemon-reload
systemctl enable place-agent.service
if [ "$start" -eq 1 ]; then
  systemctl restart place-agent.service
  echo "place-agent installed and started; see: place-agent status"
else
  echo "place-agent installed and enabled. Edit /etc/place-agent/config.yaml, then: systemctl start place-agent"
fi
