#!/bin/bash
# Debian packages end to end (TAP): build the .debs from a copy of the tree
# with dpkg-buildpackage, check their contents, conffiles and maintainer
# scripts, run lintian (any E:/W: not overridden fails), install them with
# dpkg -i, check the user, directories and files, verify the installed units
# and feed each unit's ExecStart= options to the installed binary's parser,
# then purge and check everything is gone. Root only. The machine is put
# back on any exit (trap): packages this test installed are purged.
#
# Env: WG_SRC (source tree), WG_PKG_KEEP=1 keeps the build directory.
set -uo pipefail

SRC=${WG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PKGS=(wardgate wardgate-cli wardgate-controlplane wardgate-dataplane wardgate-monitoring)

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...
    local d=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then ok "$d"; else
        not_ok "$d"
        sed 's/^/# /' "$TMP/check.out" | head -40
    fi
}
bail() { echo "Bail out! $*"; exit 1; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

[ "$(id -u)" -eq 0 ] || skip_all "needs root (dpkg -i)"
for t in dpkg-buildpackage dh lintian fakeroot systemd-analyze; do
    command -v "$t" >/dev/null || skip_all "$t missing (scripts/install-deps)"
done
# Never clobber an installation that was there before the test.
for p in "${PKGS[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok"; then
        skip_all "$p is already installed on this machine; not touching it"
    fi
done

TMP=$(mktemp -d "/tmp/wg-pkg.$$.XXXXXX")
installed=0
cleanup() {
    if [ "$installed" = 1 ]; then
        dpkg --purge "${PKGS[@]}" >/dev/null 2>&1 || true
    fi
    if [ "${WG_PKG_KEEP:-0}" = 1 ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- build, in a copy (dpkg-buildpackage writes into debian/ and ..) -------
TREE=$TMP/wardgate
mkdir -p "$TREE"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SRC" && git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null) |
        tar -xf - -C "$TREE" || bail "copying the tree"
else
    (cd "$SRC" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$TREE" || bail "copying the tree"
fi
# ccache (when meson finds it) hits across runs although the copy moves:
# paths relative to the copy, and no -f{file,debug}-prefix-map=<copy>=. (dpkg's
# reproducible=+fixfilepath) in the compiler's command line.
export CCACHE_BASEDIR=$TMP CCACHE_NOHASHDIR=true
export DEB_BUILD_MAINT_OPTIONS="hardening=+all reproducible=-fixfilepath,-fixdebugpath"
t0=$(date +%s)
if (cd "$TREE" && DEB_BUILD_OPTIONS="nocheck parallel=2 noautodbgsym" dpkg-buildpackage -b -us -uc) \
    >"$TMP/build.log" 2>&1; then
    ok "dpkg-buildpackage -b builds ($(($(date +%s) - t0)) s)"
else
    not_ok "dpkg-buildpackage -b builds"
    tail -40 "$TMP/build.log" | sed 's/^/# /'
    bail "no packages"
fi
ver=$(dpkg-parsechangelog -l "$TREE/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb() { # deb PACKAGE -> path of its .deb
    local a=$arch
    case $1 in wardgate | wardgate-monitoring) a=all ;; esac
    echo "$TMP/${1}_${ver}_${a}.deb"
}
for p in "${PKGS[@]}"; do
    f=$(deb "$p")
    if [ -f "$f" ]; then ok "$p built ($(stat -c %s "$f") bytes)"; else not_ok "$p built ($f)"; fi
done
[ "$fails" -eq 0 ] || bail "packages missing"

# --- contents ----------------------------------------------------------------
has() { # has PACKAGE PATH [MODE-PREFIX]: the .deb holds PATH (ls -l style mode)
    local line
    line=$(dpkg-deb -c "$(deb "$1")" | awk -v p="./${2#/}" '$6 == p || $6 == p "/"') || return 1
    [ -n "$line" ] || { echo "$2 not in $1"; return 1; }
    [ -z "${3:-}" ] || [[ $line == "$3"* ]] || { echo "$line: mode is not $3"; return 1; }
}
check "dataplane: binary and unit" bash -c "$(declare -f has deb); TMP=$TMP ver=$ver arch=$arch;
    has wardgate-dataplane /usr/bin/wardgate-dataplane -rwxr-xr-x &&
    has wardgate-dataplane /lib/systemd/system/wardgate-dataplane.service -rw-r--r--"
check "controlplane: binary, unit, logrotate" bash -c "$(declare -f has deb); TMP=$TMP ver=$ver arch=$arch;
    has wardgate-controlplane /usr/bin/wardgate-controlplane -rwxr-xr-x &&
    has wardgate-controlplane /lib/systemd/system/wardgate-controlplane.service &&
    has wardgate-controlplane /etc/logrotate.d/wardgate -rw-r--r--"
check "cli: the wardgate command" bash -c "$(declare -f has deb); TMP=$TMP ver=$ver arch=$arch;
    has wardgate-cli /usr/bin/wardgate -rwxr-xr-x"
check "wardgate: sysusers, tmpfiles, /etc/default, /etc/wardgate, docs" bash -c "$(declare -f has deb); TMP=$TMP ver=$ver arch=$arch;
    has wardgate /usr/lib/sysusers.d/wardgate.conf && has wardgate /usr/lib/tmpfiles.d/wardgate.conf &&
    has wardgate /etc/default/wardgate -rw-r--r-- && has wardgate /etc/wardgate drwxr-xr-x &&
    has wardgate /usr/share/doc/wardgate/operations.md && has wardgate /usr/share/doc/wardgate/copyright"
check "monitoring: dashboard, provisioning, alert rules" bash -c "$(declare -f has deb); TMP=$TMP ver=$ver arch=$arch;
    has wardgate-monitoring /usr/share/wardgate/grafana/dashboards/wardgate.json &&
    has wardgate-monitoring /usr/share/wardgate/grafana/provisioning/dashboards/wardgate.yaml &&
    has wardgate-monitoring /usr/share/wardgate/grafana/provisioning/datasources/wardgate.yaml &&
    has wardgate-monitoring /usr/share/wardgate/prometheus/wardgate.rules.yml"
# The packaged files are deploy/'s, byte for byte.
same() { # same PACKAGE PATH-IN-DEB SOURCE-FILE
    dpkg-deb --fsys-tarfile "$(deb "$1")" | tar -xOf - "./${2#/}" | cmp - "$SRC/$3"
}
for spec in "wardgate-dataplane /lib/systemd/system/wardgate-dataplane.service deploy/systemd/wardgate-dataplane.service" \
    "wardgate-controlplane /lib/systemd/system/wardgate-controlplane.service deploy/systemd/wardgate-controlplane.service" \
    "wardgate-controlplane /etc/logrotate.d/wardgate deploy/systemd/wardgate.logrotate" \
    "wardgate /usr/lib/sysusers.d/wardgate.conf deploy/systemd/wardgate.sysusers" \
    "wardgate /usr/lib/tmpfiles.d/wardgate.conf deploy/systemd/wardgate.tmpfiles" \
    "wardgate /etc/default/wardgate deploy/systemd/wardgate.default"; do
    # shellcheck disable=SC2086
    check "$(echo $spec | cut -d' ' -f2) is deploy's $(echo $spec | cut -d' ' -f3 | xargs basename)" same $spec
done
conffiles() { dpkg-deb -I "$(deb "$1")" conffiles 2>/dev/null; }
check "conffiles: /etc/default/wardgate" grep -qx /etc/default/wardgate <(conffiles wardgate)
check "conffiles: /etc/logrotate.d/wardgate" grep -qx /etc/logrotate.d/wardgate <(conffiles wardgate-controlplane)
check "dataplane depends on the DPDK runtime (shlibs) and dpdk (dpdk-hugepages.py)" bash -c \
    "dpkg-deb -f '$(deb wardgate-dataplane)' Depends | grep -q 'librte-eal23' &&
     dpkg-deb -f '$(deb wardgate-dataplane)' Depends | grep -Eq '(^|, )dpdk($|,| )'"

# --- maintainer scripts ------------------------------------------------------
script() { dpkg-deb -I "$(deb "$1")" "$2" 2>/dev/null; }
check "wardgate postinst creates the user (systemd-sysusers)" grep -q 'systemd-sysusers.*wardgate.conf' <(script wardgate postinst)
check "wardgate postinst creates the directories (systemd-tmpfiles)" grep -q 'systemd-tmpfiles .*--create wardgate.conf' <(script wardgate postinst)
check "wardgate postrm purges state and logs, keeps the user" bash -c \
    "s=\$(dpkg-deb -I '$(deb wardgate)' postrm) && grep -q 'rm -rf /var/lib/wardgate /var/log/wardgate' <<<\"\$s\" &&
     ! grep -Eq 'userdel|deluser' <<<\"\$s\""
# The dataplane is the ward's wire: no start at install, no restart at upgrade.
# deb-systemd-helper enable only re-creates the links of a unit the admin
# enabled (was-enabled); the first install enables nothing.
no_autostart() { # no_autostart PACKAGE: postinst enables and starts nothing
    local s
    s=$(script "$1" postinst) || return 1
    awk '/deb-systemd-helper enable/ && prev !~ /was-enabled/ { bad = 1; print "unguarded: " $0 }
         $0 !~ /^[[:space:]]*#/ { prev = $0 } END { exit bad }' <<<"$s" || return 1
    ! grep -Eq 'deb-systemd-invoke (start|restart)' <<<"$s"
}
check "dataplane postinst neither enables nor starts the unit, nor restarts it" no_autostart wardgate-dataplane
check "dataplane postinst restarts nothing on upgrade" bash -c \
    "! dpkg-deb -I '$(deb wardgate-dataplane)' postinst | grep -q 'deb-systemd-invoke'"
check "controlplane postinst neither enables nor starts the unit" no_autostart wardgate-controlplane
check "dataplane is not stopped before an upgrade (preinst)" bash -c \
    "! dpkg-deb -I '$(deb wardgate-dataplane)' preinst 2>/dev/null | grep -q 'deb-systemd-invoke stop'"
for u in dataplane controlplane; do
    check "$u prerm stops the unit on remove only" bash -c \
        "dpkg-deb -I '$(deb wardgate-$u)' prerm | grep -A1 '\"\$1\" = remove' | grep -q 'deb-systemd-invoke stop wardgate-$u.service'"
done
check "controlplane is restarted after an upgrade when it runs" grep -q 'deb-systemd-invoke.*restart' <(script wardgate-controlplane postinst)

# --- lintian -----------------------------------------------------------------
changes=$TMP/wardgate_${ver}_${arch}.changes
if lintian --fail-on error,warning "$changes" >"$TMP/lintian.out" 2>&1; then
    ok "lintian: no error or warning that is not overridden ($(grep -c . "$TMP/lintian.out") lines of output)"
else
    not_ok "lintian"
    sed 's/^/# /' "$TMP/lintian.out"
fi

# --- install -----------------------------------------------------------------
debs=()
for p in "${PKGS[@]}"; do debs+=("$(deb "$p")"); done
installed=1
check "dpkg -i installs all packages (dependencies already on the machine)" dpkg -i "${debs[@]}"
check "user and group wardgate exist (system user, nologin)" bash -c \
    "getent group wardgate && getent passwd wardgate | grep -q ':/usr/sbin/nologin\$' &&
     [ \$(id -u wardgate) -lt 1000 ]"
check "/var/lib/wardgate and /run/wardgate are root:wardgate 0770" bash -c \
    "[ \"\$(stat -c '%U:%G %a' /var/lib/wardgate)\" = 'root:wardgate 770' ] &&
     [ \"\$(stat -c '%U:%G %a' /run/wardgate)\" = 'root:wardgate 770' ]"
check "/var/log/wardgate is wardgate:wardgate 0750" bash -c \
    "[ \"\$(stat -c '%U:%G %a' /var/log/wardgate)\" = 'wardgate:wardgate 750' ]"
check "installed binaries run (--help)" bash -c \
    "/usr/bin/wardgate --help >/dev/null && /usr/bin/wardgate-controlplane --help >/dev/null"
check "units' Documentation= file exists" test -f /usr/share/doc/wardgate/operations.md
check "logrotate accepts the installed configuration" bash -c \
    "! command -v logrotate >/dev/null || logrotate -d /etc/logrotate.d/wardgate"

# systemd-analyze verify: the dataplane needs dev-hugepages.mount, which this
# container lacks; that line alone is tolerated.
verify() {
    local out
    out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$1" 2>&1 |
        grep -v -e 'dev-hugepages.mount' -e '^$')
    [ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd-analyze verify wardgate-controlplane.service" verify /lib/systemd/system/wardgate-controlplane.service
check "systemd-analyze verify wardgate-dataplane.service" verify /lib/systemd/system/wardgate-dataplane.service

# ExecStart= as systemd would run it: continuation lines joined, ${VAR} from
# the unit's EnvironmentFile (/etc/default/wardgate).
execstart() { # execstart UNIT -> the command line, one word per line
    awk '/^ExecStart=/{on=1; sub(/^ExecStart=/, "")} on {l = $0; c = sub(/\\$/, "", l);
         printf "%s ", l; if (!c) exit}' "$1" |
        (set -a; . /etc/default/wardgate; set +a; envsubst) | tr -s ' ' '\n' | grep .
}
mapfile -t cp_cmd < <(execstart /lib/systemd/system/wardgate-controlplane.service)
mapfile -t dp_cmd < <(execstart /lib/systemd/system/wardgate-dataplane.service)
check "controlplane ExecStart= runs the installed binary" test "${cp_cmd[0]}" = /usr/bin/wardgate-controlplane -a -x "${cp_cmd[0]}"
check "dataplane ExecStart= runs the installed binary" test "${dp_cmd[0]}" = /usr/bin/wardgate-dataplane -a -x "${dp_cmd[0]}"
# The binary's parser sees every option of the unit, then --help stops it
# before it touches the socket, the policy or the ports; an option the
# parser does not know exits 2. The negative run shows the check can fail.
check "controlplane accepts the unit's options (${#cp_cmd[@]} words)" "${cp_cmd[@]}" --help
check "controlplane rejects an unknown option (the check can fail)" bash -c \
    "\"\$@\" --no-such-option --help; [ \$? -eq 2 ]" _ "${cp_cmd[@]}"
# The dataplane's EAL part (before --) is DPDK's and needs the site's NICs and
# hugepages: replaced by vdev EAL arguments; the application part is the unit's.
dp_app=()
seen=0
for w in "${dp_cmd[@]:1}"; do
    if [ $seen = 1 ]; then dp_app+=("$w"); elif [ "$w" = -- ]; then seen=1; fi
done
eal=(--no-huge -m 256 --no-pci --no-shconf --file-prefix "wgpkg$$" -l 0 --log-level=lib.eal:error
    --vdev "net_null0,no-rx=1" --vdev "net_null1,no-rx=1")
check "dataplane unit has application options after --" test "${#dp_app[@]}" -gt 4
check "dataplane accepts the unit's options (${#dp_app[@]} words)" \
    /usr/bin/wardgate-dataplane "${eal[@]}" -- "${dp_app[@]}" --help
check "dataplane rejects an unknown option (the check can fail)" bash -c \
    "\"\$@\" --no-such-option --help; [ \$? -eq 2 ]" _ /usr/bin/wardgate-dataplane "${eal[@]}" -- "${dp_app[@]}"

# --- purge -------------------------------------------------------------------
check "dpkg --purge removes all packages" dpkg --purge "${PKGS[@]}"
installed=0
gone=(/usr/bin/wardgate /usr/bin/wardgate-dataplane /usr/bin/wardgate-controlplane
    /lib/systemd/system/wardgate-dataplane.service /lib/systemd/system/wardgate-controlplane.service
    /usr/lib/sysusers.d/wardgate.conf /usr/lib/tmpfiles.d/wardgate.conf /etc/default/wardgate
    /etc/logrotate.d/wardgate /etc/wardgate /var/lib/wardgate /var/log/wardgate /run/wardgate
    /usr/share/wardgate /usr/share/doc/wardgate)
check "purge leaves no file behind" bash -c 'for f; do [ ! -e "$f" ] || { echo "left: $f"; exit 1; }; done' _ "${gone[@]}"
check "no package left in dpkg's database" bash -c \
    "! dpkg-query -W -f='\${Package} \${Status}\n' ${PKGS[*]} 2>/dev/null | grep -v not-installed | grep -v '^$' | grep ."
# Debian policy: a purged package leaves its system user (files elsewhere may
# still be owned by it). Say so rather than hide it.
if getent passwd wardgate >/dev/null; then echo "# user wardgate remains after purge (Debian policy)"; fi

echo "1..$n"
[ "$fails" -eq 0 ]
