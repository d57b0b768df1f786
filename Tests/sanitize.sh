#!/usr/bin/env bash
# Runs the C kernel tests under AddressSanitizer, with UndefinedBehaviorSanitizer on the C code
# (Swift on Linux has no UBSan mode; the ASan runtime carries UBSan's handlers). Any report
# aborts the run. Leak detection is off: its only reports come from XCTest's own objects.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
swift test --scratch-path .build-sanitize --sanitize=address \
    -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined \
    --filter "${1:-CKernelsTests|HNSWTests}"
