# Start and stop exaudit-lab from a test, a demo or a benchmark (bash).
#   . tests/lab/start-lab.sh
#   lab_start DIR [exaudit-lab options...]   starts it in the background and waits for its ready file;
#                                            sets LAB_PID, LAB_PORT, LAB_MANIFEST (DIR/manifest.jsonl)
#   lab_stop                                 SIGTERM, wait; returns the lab's exit status
# LAB_BIN overrides the binary (default: $BUILD_DIR/exaudit-lab, else build/exaudit-lab).
# The wait is bounded (10 s); a lab that dies or never gets ready makes lab_start return 1.
lab_start() {
    local dir="$1"; shift
    local bin="${LAB_BIN:-${BUILD_DIR:-build}/exaudit-lab}"
    mkdir -p "$dir"
    rm -f "$dir/ready"
    LAB_MANIFEST="$dir/manifest.jsonl"
    "$bin" "$@" --manifest "$LAB_MANIFEST" --ready-file "$dir/ready" >"$dir/stdout" 2>"$dir/stderr" &
    LAB_PID=$!
    local i
    for i in $(seq 200); do
        [ -s "$dir/ready" ] && break
        kill -0 "$LAB_PID" 2>/dev/null || break
        sleep 0.05
    done
    LAB_PORT=$(cat "$dir/ready" 2>/dev/null)
    [ -n "$LAB_PORT" ]
}

lab_stop() {
    [ -n "${LAB_PID:-}" ] || return 0
    kill -TERM "$LAB_PID" 2>/dev/null
    wait "$LAB_PID"
    local rc=$?
    LAB_PID=
    return $rc
}
