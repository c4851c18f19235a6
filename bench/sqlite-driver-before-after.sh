#!/usr/bin/env bash
# The move from better-sqlite3 to node:sqlite, measured in one run on one machine: the append and replay
# benchmarks on the last commit that used better-sqlite3 (on the machine's own Node, since better-sqlite3 12
# aborts on Node >= 24.19), then on this tree (on the pinned Node 24).
#   bash bench/sqlite-driver-before-after.sh [EVENTS]          (replay events; default 1,000,000)
# BEFORE_COMMIT (default 4198ffd) names the commit; BEFORE_DIR reuses a built checkout of it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
events="${1:-1000000}"
before_commit="${BEFORE_COMMIT:-4198ffd}"
before="${BEFORE_DIR:-}"
if [ -z "$before" ]; then
  before="$(mktemp -d)/before"
  git -C "$root" worktree add --detach "$before" "$before_commit" >/dev/null
  (cd "$before" && npm install --no-audit --no-fund >/dev/null 2>&1 && npx nest build)
fi
after_node="$root/node_modules/.bin/node"
(cd "$root" && npm run build --silent)

echo "== before: better-sqlite3, $(cd "$before" && node --version), commit $(git -C "$before" rev-parse --short HEAD)"
node "$root/bench/append.mjs" --events 20000 --dist "$before/dist"
(cd "$before" && node bench/replay.mjs --events "$events")

echo "== after: node:sqlite, $("$after_node" --version)"
"$after_node" "$root/bench/append.mjs" --events 20000
(cd "$root" && "$after_node" bench/replay.mjs --events "$events")
