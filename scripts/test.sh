#!/usr/bin/env bash
# Runs every test layer (DESIGN.md section 6) and prints one line per layer, then a summary.
# Every layer runs even when an earlier one fails, so one run shows the whole picture; the
# Node layers need the build, so they are skipped when it fails. Exit status: 0 only if all pass.
#
#   npm test                       all layers
#   LAYERS="build node20 node22" npm test   a subset (names as printed)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# shellcheck source=scripts/ensure-tools.sh
source scripts/ensure-tools.sh || { echo "[test] FAILED: tools could not be installed" >&2; exit 1; }

passed=()
failed=()
skipped=()

wanted() { [ -z "${LAYERS:-}" ] || [[ " $LAYERS " == *" $1 "* ]]; }

# layer NAME COMMAND...: runs one layer, with its own output above its one-line verdict.
layer() {
  local name="$1"
  shift
  if ! wanted "$name"; then return 0; fi
  echo "[test] ── $name: $*"
  local start=$SECONDS
  if "$@"; then
    passed+=("$name")
    echo "[test] ── $name: passed ($((SECONDS - start)) s)"
  else
    failed+=("$name")
    echo "[test] ── $name: FAILED ($((SECONDS - start)) s)"
  fi
}

skip() {
  if wanted "$1"; then skipped+=("$1"); echo "[test] ── $1: skipped ($2)"; fi
}

# ── Formatting and lint, the ecosystem's way ───────────────────────────────────────────
layer fmt cargo fmt --check
lint() { npx --no-install eslint . && npx --no-install prettier --check .; }
layer lint lint

# ── Layer 1: the pure core, natively ────────────────────────────────────────────────
layer cargo-test cargo test --all-targets
# wasm.rs only compiles for wasm32, so lint that target too.
layer clippy cargo clippy --all-targets -- -D warnings
layer clippy-wasm cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings

# ── Layer 2: the Wasm boundary ──────────────────────────────────────────────────────
layer wasm-pack-test wasm-pack test --node

# A test build whose sendMessage panics for two recipients, before the request and after the
# answer (cargo feature test-trap), so tests/js can prove recovery from a real trap. Never shipped.
layer trap-build wasm-pack build --target nodejs --out-dir target/pkg-trap --release -- --features test-trap

# ── The sandbox and the operator docs: their own suites, on both Nodes ────────────────
sandbox_tests=(sandbox/test/*.test.mjs)
layer sandbox node --test "${sandbox_tests[@]}"
layer docs node --test packaging/docs.test.mjs

# ── Layer 3: the built packages in a Logto-like host, on Node 20 and Node 22 ────────
layer build node scripts/build.mjs
# The shim's declarations import the types of the glue the build generates (pkg/).
if [[ " ${failed[*]-} " == *" build "* ]]; then
  skip types "the build failed"
else
  layer types npx --no-install tsc -p tsconfig.json
fi
shopt -s nullglob
js_tests=(tests/js/*.test.mjs)
# The machine's node (20 here) and the Node 22 Logto runs on; EXPECT_NODE_MAJOR lets
# tests/js/runtime.test.mjs prove each run used the Node it names.
system_major="$(node -p 'process.versions.node.split(".")[0]')"
node_layers=("node$system_major")
if [ "$system_major" != 22 ]; then node_layers+=(node22); fi
if [[ " ${failed[*]-} " == *" build "* ]]; then
  for name in "${node_layers[@]}"; do skip "$name" "the build failed"; done
elif [ ${#js_tests[@]} -eq 0 ]; then
  for name in "${node_layers[@]}"; do skip "$name" "no tests/js/*.test.mjs"; done
else
  layer "node$system_major" env EXPECT_NODE_MAJOR="$system_major" node --test "${js_tests[@]}"
  if [ "$system_major" != 22 ]; then
    layer node22 env EXPECT_NODE_MAJOR=22 "$NODE22" --test "${js_tests[@]}"
  fi
fi

# ── Robustness: hostile values at the boundary, fault modes over real HTTP, secrets,
# concurrency and text, against the built packages, on both Nodes ───────────────────────
robustness_tests=(tests/robustness/*.test.mjs)
for name in "${node_layers[@]}"; do
  if [[ " ${failed[*]-} " == *" build "* ]]; then skip "robustness-$name" "the build failed"; continue; fi
  if [ "$name" = node22 ] && [ "$system_major" != 22 ]; then
    layer robustness-node22 "$NODE22" --test "${robustness_tests[@]}"
  else
    layer "robustness-$name" node --test "${robustness_tests[@]}"
  fi
done

# Benchmarks stay out of the tests: `npm run bench`.

echo "[test] passed: ${passed[*]-none}"
echo "layers: ${#passed[@]} passed, ${#failed[@]} failed, ${#skipped[@]} skipped"
if [ ${#skipped[@]} -gt 0 ]; then echo "[test] skipped: ${skipped[*]}"; fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "[test] FAILED: ${failed[*]}"
  exit 1
fi
echo "[test] all layers passed"
