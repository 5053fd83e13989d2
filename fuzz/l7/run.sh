#!/bin/bash
# Builds the common/l7 libFuzzer harnesses by hand and runs each for a bounded
# number of executions (default 1M), one after the other (shared machines).
# Usage: fuzz/l7/run.sh [runs] [harness...]   (from anywhere)
# Exit status is non-zero if a harness fails to build or finds a crash; the
# crashing input is left in the work directory, whose path is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-1000000}
shift || true
harnesses=${*:-dicom hl7 smb ntp accumulator}
work=$(mktemp -d "/tmp/wg-l7-fuzz-$$-XXXX")
echo "work directory: $work"
rc=0
for h in $harnesses; do
    clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -Wall -Wextra -Werror -I "$root/common" "$root/fuzz/l7/fuzz_$h.cpp" "$root"/common/l7/*.cpp \
        -o "$work/fuzz_$h"
    mkdir -p "$work/corpus_$h"
    cp "$root/fuzz/l7/corpus/$h/"* "$work/corpus_$h/"
    if "$work/fuzz_$h" -runs="$runs" -max_len=1024 -print_final_stats=1 \
        -artifact_prefix="$work/crash_$h-" "$work/corpus_$h" >"$work/$h.log" 2>&1; then
        echo "$h: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' "$work/$h.log"), no findings"
    else
        echo "$h: FINDING, see $work/$h.log"
        rc=1
    fi
done
exit $rc
