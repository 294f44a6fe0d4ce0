/*
 * exaudit's own rules for web shells and attacker artefacts on Exchange servers.
 *
 * Written for exaudit from the facts in ../shared/docs/ioc-hunting.md (which describes what
 * the public rule sets look for); no rule text is copied from signature-base (DRL 1.1) or
 * elsewhere. Each rule says in `reference` which field note, and which public source behind
 * it, its strings rest on. Users load signature-base itself with `exaudit hunt --rules`.
 *
 * Meta read by exaudit: author, reference, description (shown with every match), and
 * severity (critical, high, medium, info), kind (a finding kind) and cve (optional).
 * Rules stay generic and behaviour-level (ioc-hunting.md §5: exact strings miss
 * Request.Item(0) variants, and comments slipped in before "eval").
 */

/* China Chopper one-liners: a server-side script that evaluates a request parameter.
 * Strings: ioc-hunting.md §1.2 (APT_WEBSHELL_HAFNIUM_Chopper_WebShell, ChinaChopper_Generic),
 * §4 (CISA AR21-072D OAB ExternalUrl payload; the public PoC's "{/**\/eval(Request[" form),
 * §5 (Request.Item(0) shells that exact-string rules miss). */
rule EXA_WEBSHELL_Chopper_Eval_Request
{
    meta:
        author = "exaudit"
        description = "China Chopper style web shell: server-side script evaluating a request parameter"
        reference = "ioc-hunting.md 1.2 (signature-base APT_WEBSHELL_HAFNIUM_Chopper_WebShell, ChinaChopper_Generic), 4 (CISA AR21-072D), 5"
        severity = "critical"
        kind = "webshell"
    strings:
        $eval = /eval\s{0,8}(\/\*[^*]{0,40}\*\/\s{0,8})?\(\s{0,8}Request(\.Item|\.Form|\.QueryString|\.Params)?\s{0,8}[\[\(]/ nocase
        $unsafe = /["']unsafe["']/ nocase
        $runat = /runat\s{0,4}=\s{0,4}["']?server/ nocase
        $page = /<%@\s{0,8}Page[^>]{0,80}Language\s{0,4}=\s{0,4}["']?J?Script/ nocase
    condition:
        filesize < 300KB and $eval and ($unsafe or $runat or $page)
}

/* An exported OAB (or other) virtual-directory configuration whose URL carries script:
 * the file Set-OabVirtualDirectory + Reset writes for CVE-2021-27065.
 * Strings: ioc-hunting.md §1.2 (MSTIC WEBSHELL_CVE_2021_27065_Webshells; CISA
 * WEBSHELL_HAFNIUM_CISA_10328929_02), §4 (CISA MAR-10329496 / AR21-084A, MAR-10329297). */
rule EXA_WEBSHELL_VirtualDirectory_Export_With_Script
{
    meta:
        author = "exaudit"
        description = "Exported Exchange virtual-directory settings with script in a URL field (ProxyLogon OAB web shell)"
        reference = "ioc-hunting.md 1.2 (MSTIC WEBSHELL_CVE_2021_27065_Webshells, CISA 10328929_02), 4 (CISA AR21-084A)"
        severity = "critical"
        kind = "webshell"
        cve = "CVE-2021-27065"
    strings:
        $url1 = "ExternalUrl" ascii wide nocase
        $url2 = "InternalUrl" ascii wide nocase
        $f1 = "InternalAuthenticationMethods" ascii wide nocase
        $f2 = "ExtendedProtectionTokenChecking" ascii wide nocase
        $f3 = "OfflineAddressBooks" ascii wide nocase
        $s1 = "script language" ascii wide nocase
        $s2 = "page language" ascii wide nocase
        $s3 = "runat=\"server\"" ascii wide nocase
        $s4 = "</script>" ascii wide nocase
    condition:
        filesize < 100KB and any of ($url*) and 2 of ($f*) and any of ($s*)
}

/* ProxyShell: a mailbox exported with New-MailboxExportRequest to an .aspx path is a PST
 * file ("!BDN" magic) with the script in a draft message.
 * Facts: ioc-hunting.md §1.4 (WEBSHELL_ASPX_ProxyShell_Aug21_2 / _Sep21_1, HvS
 * WEBSHELL_Mailbox_Export_PST_ProxyShell_Aug26), §4 ProxyShell. */
rule EXA_WEBSHELL_PST_Headed_Page
{
    meta:
        author = "exaudit"
        description = "Outlook PST file holding an ASP.NET page directive: a mailbox exported as a web shell (ProxyShell)"
        reference = "ioc-hunting.md 1.4 (signature-base WEBSHELL_ASPX_ProxyShell_Aug21_2, Sep21_1; HvS Aug26), 4"
        severity = "critical"
        kind = "webshell"
        cve = "CVE-2021-31207"
    strings:
        $page = /Page\s{0,4}Language\s{0,4}=/ nocase
        $runat = /runat\s{0,4}=\s{0,4}["']?server/ nocase
        $req = /FromBase64String\s{0,4}\(\s{0,4}Request\s{0,4}[\[\(]/ nocase
    condition:
        uint32(0) == 0x4E444221 and filesize < 8MB and any of them
}

/* ProxyShell variant: New-ExchangeCertificate -GenerateRequest -BinaryEncoded -RequestFile
 * x.aspx writes a DER request ("30 82") that carries the page in its subject.
 * Facts: ioc-hunting.md §1.4 (WEBSHELL_ASPX_ProxyShell_Aug21_3, M. Altgelt), §4. */
rule EXA_WEBSHELL_DER_Headed_Page
{
    meta:
        author = "exaudit"
        description = "DER certificate request holding an ASP.NET page: New-ExchangeCertificate request file used as a web shell (ProxyShell)"
        reference = "ioc-hunting.md 1.4 (signature-base WEBSHELL_ASPX_ProxyShell_Aug21_3), 4"
        severity = "critical"
        kind = "webshell"
        cve = "CVE-2021-31207"
    strings:
        $page = /Page\s{0,4}Language\s{0,4}=/ nocase
        $runat = /runat\s{0,4}=\s{0,4}["']?server/ nocase
    condition:
        uint16(0) == 0x8230 and filesize < 64KB and any of them
}

/* A web page compiled by ASP.NET into Temporary ASP.NET Files: the App_Web_*.dll survives
 * the deletion of the .aspx. Facts: ioc-hunting.md §1.2 and §6 (BSI
 * WEBSHELL_Compiled_Webshell_Mar2021_1: App_Web_ name, a virtual path under
 * ~/aspnet_client/ or ~/auth/, and JScriptEvaluate or the request/file accessors). */
rule EXA_WEBSHELL_Compiled_AppWeb_Assembly
{
    meta:
        author = "exaudit"
        description = "Compiled ASP.NET page (App_Web_*.dll) of a script in aspnet_client or auth that evaluates requests or saves uploads"
        reference = "ioc-hunting.md 1.2, 6 (BSI WEBSHELL_Compiled_Webshell_Mar2021_1)"
        severity = "critical"
        kind = "webshell"
    strings:
        $name = /App_Web_[a-zA-Z0-9]{7,8}(\.dll)?/ ascii wide
        $vp1 = "~/aspnet_client/" ascii wide nocase
        $vp2 = "~/auth/" ascii wide nocase
        $eval = "JScriptEvaluate" ascii wide
        $a1 = "get_Request" ascii
        $a2 = "get_Files" ascii
        $a3 = "get_Count" ascii
        $a4 = "get_Item" ascii
        $a5 = "get_Server" ascii
    condition:
        uint16(0) == 0x5A4D and filesize < 200KB and $name and any of ($vp*) and ($eval or all of ($a*))
}

/* SPORTSBALL-like shells: a fixed cookie name and a command form. Facts: ioc-hunting.md
 * §1.2 (Volexity WEBSHELL_ASPX_SportsBall: cookie "fqrspt" and its key string), §5. */
rule EXA_WEBSHELL_SportsBall_Like
{
    meta:
        author = "exaudit"
        description = "SPORTSBALL-like ASPX web shell (cookie fqrspt)"
        reference = "ioc-hunting.md 1.2 (Volexity WEBSHELL_ASPX_SportsBall), 5"
        severity = "critical"
        kind = "webshell"
    strings:
        $cookie = "fqrspt" ascii wide
        $hc = "HttpCookie" ascii wide
        $form = "Request.Form" ascii wide nocase
        $key = "ZN2aDAB4rXsszEvCLrzgcvQ4oi5J1TuiRULlQbYwldE=" ascii wide
    condition:
        filesize < 1MB and ($key or ($cookie and $hc and $form))
}

/* Upload stubs: a page that saves the first posted file, or writes a posted field to a
 * file. Facts: ioc-hunting.md §1.2 (Volexity SimpleSeeSharp; APT_MAL_ASPX_HAFNIUM_Chopper_Mar21_3;
 * WEBSHELL_ASP_Embedded_Mar21_1), §5 (the bare Request.Files[0].SaveAs one-liner). */
rule EXA_WEBSHELL_Upload_Stub
{
    meta:
        author = "exaudit"
        description = "Small ASP.NET upload stub: saves a posted file or writes posted text to disk"
        reference = "ioc-hunting.md 1.2 (Volexity WEBSHELL_ASPX_SimpleSeeSharp, APT_MAL_ASPX_HAFNIUM_Chopper_Mar21_3, WEBSHELL_ASP_Embedded_Mar21_1), 5"
        severity = "high"
        kind = "webshell"
    strings:
        $save1 = /Request\.Files\s{0,4}[\[\(]\s{0,4}0\s{0,4}[\]\)]\s{0,4}\.SaveAs\s{0,4}\(/ nocase
        $save2 = /HttpPostedFile\s+\w{1,32}\s{0,4}=\s{0,4}Request\.Files/ nocase
        $sw = /StreamWriter\s{0,4}\(\s{0,4}Request\.Form\s{0,4}[\[\(]/ nocase
        $wr = /\.Write\s{0,4}\(\s{0,4}Request\.Form\s{0,4}[\[\(]/ nocase
        $dir = "<%@" ascii
        $runat = /runat\s{0,4}=\s{0,4}["']?server/ nocase
    condition:
        filesize < 20KB and ($dir or $runat) and ($save1 or $save2 or ($sw and $wr))
}

/* XSLT shells: a style sheet with an msxsl:script block that runs code, and the DropHell
 * loader that transforms a posted, base64-encoded style sheet. Facts: ioc-hunting.md §5
 * (XSLT msxsl:script shells), §1.4 (WEBSHELL_ProxyShell_Exploitation_Nov21_1, DropHell). */
rule EXA_WEBSHELL_XSLT_Script
{
    meta:
        author = "exaudit"
        description = "XSLT style sheet with an msxsl:script block that reaches the request or starts processes"
        reference = "ioc-hunting.md 5 (XSLT msxsl:script shells), 1.4 (DropHell)"
        severity = "high"
        kind = "webshell"
    strings:
        $ns = "urn:schemas-microsoft-com:xslt" ascii wide nocase
        $script = "msxsl:script" ascii wide nocase
        $c1 = "System.Diagnostics.Process" ascii wide nocase
        $c2 = "ProcessStartInfo" ascii wide nocase
        $c3 = "HttpContext.Current.Request" ascii wide nocase
        $c4 = /eval\s{0,4}\(/ ascii wide nocase
        $c5 = "FromBase64String" ascii wide nocase
    condition:
        filesize < 1MB and $ns and $script and any of ($c*)
}

rule EXA_WEBSHELL_XSLT_Loader
{
    meta:
        author = "exaudit"
        description = "Page that loads a base64 style sheet from the request and runs its transform (DropHell loader)"
        reference = "ioc-hunting.md 1.4 (signature-base WEBSHELL_ProxyShell_Exploitation_Nov21_1, Deep Instinct DropHell)"
        severity = "critical"
        kind = "webshell"
    strings:
        $load = /\.LoadXml\s{0,4}\(/ nocase
        $b64 = /FromBase64String\s{0,4}\(\s{0,4}Request\s{0,4}[\[\(]/ nocase
        $tr = /\.Transform\s{0,4}\(/ nocase
    condition:
        filesize < 100KB and all of them
}

/* Obfuscated Chopper: the same shape with _0x-style identifiers. Facts: ioc-hunting.md
 * §1.2 (WEBSHELL_ASPX_Chopper_Like_Mar21_1), §4 (obfuscated http://f/ payload). */
rule EXA_WEBSHELL_Chopper_Obfuscated
{
    meta:
        author = "exaudit"
        description = "Obfuscated China Chopper variant (_0x identifiers around eval of the request)"
        reference = "ioc-hunting.md 1.2 (signature-base WEBSHELL_ASPX_Chopper_Like_Mar21_1), 4"
        severity = "critical"
        kind = "webshell"
    strings:
        $a = /function\s{1,4}Page_Load\s{0,4}\(\s{0,4}\)\s{0,4}\{\s{0,4}var\s{1,4}_0x/ nocase
        $b = /eval\s{0,4}\(\s{0,4}Request\s{0,4}\[\s{0,4}_0x/ nocase
        $c = "'unsafe'" ascii
        $d = "_0x" ascii
    condition:
        filesize < 20KB and ($a or $b) and $c and $d
}

/* Commands HAFNIUM left in scripts and batch files. Facts: ioc-hunting.md §1.2
 * (APT_HAFNIUM_Forensic_Artefacts_Mar21_1, from Microsoft's HAFNIUM blog). */
rule EXA_HAFNIUM_Lsass_Dump_Command
{
    meta:
        author = "exaudit"
        description = "Command line dumping LSASS to C:\\windows\\temp (HAFNIUM)"
        reference = "ioc-hunting.md 1.2 (signature-base APT_HAFNIUM_Forensic_Artefacts_Mar21_1; Microsoft HAFNIUM blog)"
        severity = "high"
        kind = "credential-theft"
    strings:
        $s = "lsass.exe C:\\windows\\temp\\lsass" ascii wide nocase
    condition:
        $s
}

rule EXA_HAFNIUM_Staging_Archive_Path
{
    meta:
        author = "exaudit"
        description = "Reference to C:\\ProgramData\\it.zip, HAFNIUM's staging archive"
        reference = "ioc-hunting.md 1.2 (signature-base APT_HAFNIUM_Forensic_Artefacts_Mar21_1; Microsoft HAFNIUM blog)"
        severity = "high"
        kind = "exfiltration-staging"
    strings:
        $s = "c:\\ProgramData\\it.zip" ascii wide nocase
    condition:
        $s
}

rule EXA_HAFNIUM_PowerCat_Reverse_Shell
{
    meta:
        author = "exaudit"
        description = "PowerCat reverse shell launched from a download (HAFNIUM post-exploitation)"
        reference = "ioc-hunting.md 1.2 (signature-base APT_HAFNIUM_Forensic_Artefacts_Mar21_1; Microsoft HAFNIUM blog)"
        severity = "high"
        kind = "persistence"
    strings:
        $s = "powercat.ps1'); powercat -c" ascii wide nocase
    condition:
        $s
}
