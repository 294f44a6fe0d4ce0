#!/bin/bash
# The SOFTWARE hive (logs-and-builds.md §1.0, §6.1): MsiInstallPath names the
# install, the Msi* values the CU, the Uninstall key the security update (EOMT
# reads both) and when it was written. The hive is made here by
# tests/e2e/make_hive.py (libregf cannot write one); the expected values are
# the ones written into it and the builds table's row for KB5000871 on 2016 CU19
# (exchange-builds.tsv: 15.1.2176.9, Mar21SU).
. "$(dirname "$0")/lib.sh"

HDR='#Fields: DateTime,RequestId,ClientIpAddress,UrlHost,UrlStem,RoutingHint,UserAgent,AnchorMailbox,HttpStatus'
ATTACK='2021-03-03T06:49:43.699Z,xxx,130.255.189.21,mail.xxx.no,/ecp/y.js,X-BEResource-Cookie,python-requests/2.25.1,ServerInfo~a]@servernavn.xxx.local:444/mapi/emsmdb/?#,200'
# 2021-03-10T22:30:00Z as a FILETIME (100 ns since 1601)
FT=$(( (1615415400 + 11644473600) * 10000000 ))
hive() { # out
    python3 "$SRC/tests/e2e/make_hive.py" "$1" 'Microsoft\ExchangeServer\v15\Setup' 'MsiInstallPath:sz:D:\Exchange\V15\' \
        'MsiProductMajor:dword:15' 'MsiProductMinor:dword:1' 'MsiBuildMajor:dword:2176' 'MsiBuildMinor:dword:2' \
        "Microsoft\\Windows\\CurrentVersion\\Uninstall\\{4934D1EA-BE46-48B1-8847-F1AF20E892C1}@$FT" \
        'DisplayName:sz:Security Update for Exchange Server 2016 Cumulative Update 19 (KB5000871)'
}
EV="$TMP/ev"
mkdir -p "$EV/C/Windows/System32/config" "$EV/D/Exchange/V15/Logging/HttpProxy/Ecp" \
    "$EV/C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp"
hive "$EV/C/Windows/System32/config/SOFTWARE"
printf '%s\n%s\n' "$HDR" "$ATTACK" > "$EV/D/Exchange/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
# a decoy under the default path: the hive's MsiInstallPath must win
printf '%s\n' "$HDR" > "$EV/C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
touch -d '2021-03-12 00:00:00' "$EV/C/Windows/System32/config/SOFTWARE"
before=$(stat -c '%X %Y %Z' "$EV/C/Windows/System32/config/SOFTWARE")

run "$EXAUDIT" hunt --json --no-progress "$EV"
S="$(tail -n 1 <<<"$OUT")"
expect_eq "install root from MsiInstallPath" "$(jq -r '.install.root + " | " + .install.root_source' <<<"$S")" \
    "D:/Exchange/V15 | SOFTWARE hive MsiInstallPath"
expect_eq "build from the Msi* values and the update's KB" "$(jq -r .install.build <<<"$S")" "15.1.2176.9"
expect_eq "fix installed when its Uninstall key was written" "$(jq -r .timeline.patch_installed <<<"$S")" \
    "2021-03-10T22:30:00Z"
expect_eq "exploitable while the attack was seen" "$(jq -r .timeline.exploitable_during_attacks <<<"$S")" "yes"
expect_eq "ProxyLogon patched at that build" \
    "$(jq -r '.assessment.cves[] | select(.id=="CVE-2021-26855") | .status' <<<"$S")" "patched"
expect_eq "hive read without touching its times" "$(stat -c '%X %Y %Z' "$EV/C/Windows/System32/config/SOFTWARE")" "$before"

run "$EXAUDIT" hunt --json --no-progress --exchange-root 'C:\Program Files\Microsoft\Exchange Server\V15' "$EV"
expect_eq "--exchange-root beats the hive" "$(tail -n 1 <<<"$OUT" | jq -r .install.root_source)" "--exchange-root"

# a damaged hive: reported, discovery falls back to the default path
head -c 3000 "$EV/C/Windows/System32/config/SOFTWARE" > "$TMP/short" && cp "$TMP/short" "$EV/C/Windows/System32/config/SOFTWARE"
run "$EXAUDIT" hunt --json --no-progress "$EV"
S="$(tail -n 1 <<<"$OUT")"
expect_contains "damaged hive reported" "$(jq -r '.skipped[].reason' <<<"$S")" "SOFTWARE hive damaged"
expect_eq "discovery falls back to the default path" "$(jq -r .install.root_source <<<"$S")" "default path"

# the hive inside a Velociraptor collection, read from the archive in place
mkdir -p "$TMP/z" && hive "$TMP/z/SOFTWARE"
python3 - "$TMP/c.zip" "$TMP/z/SOFTWARE" "$HDR" "$ATTACK" <<'PY'
import sys, zipfile
out, hive, hdr, attack = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(hive, "uploads/auto/C%3A/Windows/System32/config/SOFTWARE")
    z.writestr("uploads/auto/D%3A/Exchange/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG", hdr + "\n" + attack + "\n")
PY
run "$EXAUDIT" hunt --json --no-progress "$TMP/c.zip"
S="$(tail -n 1 <<<"$OUT")"
expect_eq "hive in a zip: install and build" "$(jq -r '.install.root + " " + .install.build' <<<"$S")" "D:/Exchange/V15 15.1.2176.9"
