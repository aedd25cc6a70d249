#!/usr/bin/env bash
# Installs the system tools this project builds and tests with, on Debian or
# Ubuntu: C toolchain, cmake, zlib headers, Debian's emscripten (with the
# node-acorn its JS optimizer needs), Chromium, Firefox ESR and WebKitGTK
# (with Xvfb) for the browser tests,
# clang-format and clang-tidy 14 for npm run format / lint, the
# Fashion-MNIST data set, and NumPy and ONNX for Debian's python3 (the
# export tests read the exported files with them). Checks first and does nothing when all is present,
# so it is fast to run again. As root it runs apt-get; otherwise it prints
# the one command to run and exits 1. Node 20+ and npm are checked, not
# installed (Debian 12's nodejs is 18). With --check it only reports: exit 0
# when everything is present, else one line naming what is missing and exit 1
# (scripts/ensure.js, which npm start and npm test run first, uses it).
#   bash scripts/setup.sh [--check]
set -euo pipefail

check_only=0
case "${1:-}" in
  '') ;;
  --check) check_only=1 ;;
  *) echo "setup: unknown argument $1 (usage: bash scripts/setup.sh [--check])" >&2; exit 2 ;;
esac

missing=()
need() { # need PACKAGE TEST...: the package is missing unless the test passes
  local pkg=$1
  shift
  "$@" >/dev/null 2>&1 || missing+=("$pkg")
}
has() { command -v "$1"; }

need gcc has cc
need make has make
need cmake has cmake
need zlib1g-dev test -f /usr/include/zlib.h
need emscripten has emcc
need node-acorn test -d /usr/share/nodejs/acorn
need chromium has chromium                             # browser tests: Chromium (playwright-core)
need firefox-esr has firefox-esr                       # browser tests: Firefox (puppeteer-core, WebDriver BiDi)
need webkit2gtk-driver has WebKitWebDriver             # browser tests: WebKit (selenium-webdriver)
need xvfb has Xvfb                                     # WebKit's MiniBrowser has no headless mode
need clang has clang                                   # the fuzz preset
need libclang-rt-14-dev sh -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a'   # libFuzzer runtime
need valgrind has valgrind
need clang-format-14 has clang-format-14                # npm run format / lint: this version exactly
need clang-tidy-14 has clang-tidy-14                    # npm run lint
need dataset-fashion-mnist test -d /usr/share/datasets/fashion-mnist
need python3-numpy /usr/bin/python3 -c 'import numpy'   # tests/export.test.js: NumPy's forward pass
need python3-onnx /usr/bin/python3 -c 'import onnx'     # tests/export.test.js: onnx's checker

node_ok=1
if ! has node >/dev/null || ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  node_ok=0
fi
has npm >/dev/null || node_ok=0

if ((check_only)); then
  problem=''
  ((${#missing[@]})) && problem="missing ${missing[*]}"
  ((node_ok)) || problem="${problem:+$problem; }Node.js 20 or newer with npm is required (found: $(node --version 2>/dev/null || echo none))"
  [[ -z $problem ]] || { echo "setup: $problem" >&2; exit 1; }
  exit 0
fi

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing ${missing[*]}; run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

if ((!node_ok)); then
  echo "setup: Node.js 20 or newer with npm is required (found: $(node --version 2>/dev/null || echo none)); install it from https://nodejs.org or NodeSource" >&2
  exit 1
fi

((${#missing[@]})) || echo "setup: all tools present"
