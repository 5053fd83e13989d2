# TAP output for the shell tests (meson runs them with protocol: 'tap').
# Source it, then: plan N; ok NAME; not_ok NAME [DIAGNOSTIC]; check NAME
# 'SHELL CONDITION' [DIAGNOSTIC]; end the script with `summary`, whose status
# is the script's: non-zero when a check failed or the plan was not run out
# (a test that stops early must not pass).
TAP_N=0
TAP_FAILS=0
TAP_PLAN=""

plan() {
    TAP_PLAN=$1
    echo "1..$1"
}

ok() {
    TAP_N=$((TAP_N + 1))
    echo "ok $TAP_N - $1"
}

# The diagnostic (at most 20 lines) follows as TAP comments.
not_ok() {
    TAP_N=$((TAP_N + 1))
    TAP_FAILS=$((TAP_FAILS + 1))
    echo "not ok $TAP_N - $1"
    if [ $# -gt 1 ] && [ -n "$2" ]; then printf '%s\n' "$2" | head -20 | sed 's/^/# /'; fi
    return 0
}
notok() { not_ok "$@"; } # the spelling older scripts use

# check NAME CONDITION [DIAGNOSTIC]: CONDITION is eval'ed (single-quote it so
# it sees the values at check time).
check() {
    if eval "$2"; then ok "$1"; else not_ok "$1" "${3:-}"; fi
}

summary() {
    if [ -n "$TAP_PLAN" ] && [ "$TAP_N" -ne "$TAP_PLAN" ]; then
        echo "# planned $TAP_PLAN, ran $TAP_N"
        return 1
    fi
    [ "$TAP_FAILS" -eq 0 ]
}
