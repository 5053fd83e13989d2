#!/bin/bash
# SMB through the gateway with Samba: smbclient -> smbd on the core host
# (port 445, its own config and state under $WORK, NT1 allowed so only the
# gateway can refuse SMB1) under the rule's `smb: {deny_smbv1: true}`.
# smbclient -m SMB3 lists the share; smbclient forced to SMB1 (client max
# protocol = NT1) is stopped and smbd never sees an SMB1 session. TAP.
. "$(dirname "$0")/../lib/preamble.sh" l7smb wgs
. "$WG_SRC/tests/e2e/lib/l7.sh"
plan 6

S="$WORK/smb"
mkdir -p "$S"/{private,lock,state,cache,pid,share,ncalrpc}
echo "wardgate e2e $$" >"$S/share/hello.txt"
cat >"$S/smb.conf" <<CONF
[global]
  workgroup = WGE2E
  server role = standalone server
  map to guest = Bad User
  server min protocol = NT1
  server max protocol = SMB3
  smb ports = 445
  disable netbios = yes
  interfaces = $TOPO_CORE_IP/24
  bind interfaces only = yes
  private dir = $S/private
  lock directory = $S/lock
  state directory = $S/state
  cache directory = $S/cache
  pid directory = $S/pid
  ncalrpc dir = $S/ncalrpc
  log file = $S/log.%m
  log level = 3
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = $S/share
  guest ok = yes
  read only = yes
  force user = root
CONF
# The client gets a config of its own (never /etc/samba/smb.conf), port 445
# only (the rule's; 139 would be a second, L4-denied attempt). With
# client min protocol NT1, `-m SMB3` opens with the SMB1 multi-protocol
# NEGOTIATE that also offers "SMB 2.???" (what Windows sends): it must pass.
printf '[global]\n  client min protocol = NT1\n  smb ports = 445\n' >"$WORK/client.conf"

l7_up || exit 1
l7_bg core "$S/smbd.out" timeout 50 smbd -F --no-process-group --debug-stdout -s "$S/smb.conf"
l7_wait_port core tcp 445 || { not_ok "smbd listens" "$(tail -5 "$S/smbd.out")"; exit 1; }

SMBC=(ip netns exec "${P}cli" smbclient -s "$WORK/client.conf" -N "//$TOPO_CORE_IP/share")

l7_run 20 "${SMBC[@]}" -m SMB3 -c ls
check "smbclient -m SMB3 lists the share through the gateway" \
    '[ "$L7_RC" -eq 0 ] && echo "$L7_OUT" | grep -q hello.txt' "rc=$L7_RC $L7_OUT"

# With its NEGOTIATE dropped, smbclient gives up after its fixed 20 s
# negotiation timeout (-t does not shorten it): bound at 30 s.
l7_run 30 "${SMBC[@]}" --option="client max protocol=NT1" -c ls
check "smbclient forced to SMB1 (NT1) does not list it" \
    '! echo "$L7_OUT" | grep -q hello.txt' "rc=$L7_RC $L7_OUT"
check "it fails within the bound" '[ "$L7_RC" -ne 0 ] && [ "$L7_RC" -ne 124 ]' "rc=$L7_RC $L7_OUT"
sleep 0.3
check "smbd never selected SMB1 (NT1)" '! grep -rqs "Selected protocol NT" "$S"/log.* "$S/smbd.out"' \
    "$(grep -rh "protocol" "$S"/log.* "$S/smbd.out" 2>/dev/null | tail -5)"

l7_audit 'smb1_negotiate_no_smb2'
check "the audit names the reason and the dialect list" \
    'echo "$AUDIT" | grep "\"reason\":\"smb1_negotiate_no_smb2\"" | grep "\"l7_protocol\":\"smb\"" | grep -q "NT LANMAN 1.0"' "$AUDIT"
summary
