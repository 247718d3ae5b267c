#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation (stable Rust) and runs one:
#   fuzz/run.sh TARGET SECONDS
# Corpus in fuzz/corpus/TARGET (kept out of git; FUZZ_WORK_DIR moves corpus and artifacts
# elsewhere), seeded from fuzz/seeds/TARGET and fuzz/regressions/TARGET; a crash stops the run
# with a non-zero exit and is written to artifacts/TARGET/: minimise it
# (`BINARY -minimize_crash=1 -runs=10000 FILE`) into fuzz/regressions/TARGET/.
# FUZZ_TARGET_DIR sets the build folder (default fuzz/target).
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?target: case_file audit_log events models package media}
seconds=${2:-60}
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-target}
# --target keeps RUSTFLAGS off build scripts and proc-macros (they run on the host).
host=$(rustc -vV | sed -n "s/^host: //p")
cargo build --locked --release --target "$host" --bin "$target" --quiet
work=${FUZZ_WORK_DIR:-.}
mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
seeds=()
[ -d "seeds/$target" ] && seeds+=("seeds/$target")
[ -d "regressions/$target" ] && seeds+=("regressions/$target")
exec "$CARGO_TARGET_DIR/$host/release/$target" "$work/corpus/$target" "${seeds[@]}" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=1048576 \
  -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1
