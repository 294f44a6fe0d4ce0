/* The lab's HTTP/1.x request parser and response builder (tests/lab/http.c):
 * RFC 9112 request lines and header fields, the head-size cap, keep-alive
 * rules, and the requests peers send (nuclei, Metasploit, nmap). */
#include "t.h"

#include "../lab/http.c"

static lab_req req;

static int parse(const char *s)
{
    return lab_http_parse(s, strlen(s), &req);
}

TEST(request_line_and_headers)
{
    const char *r = "GET /OWA/Auth/x.js?a=1 HTTP/1.1\r\nHost: 127.1.0.5:443\r\n"
                    "Cookie: X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3;\r\n"
                    "Cookie: X-BEResource=localhost/owa/auth/logon.aspx?~3;\r\nContent-Length: 0\r\n\r\nNEXT";
    CHECK_INT(parse(r), (int)(strstr(r, "NEXT") - r));
    CHECK_STR(req.method, "GET");
    CHECK_STR(req.path_lc, "/owa/auth/x.js");
    CHECK_STR(req.query, "a=1");
    CHECK_STR(req.host, "127.1.0.5:443");
    CHECK(req.has_host);
    CHECK_CONTAINS(req.cookie, "X-AnonResource-Backend=localhost");
    CHECK_CONTAINS(req.cookie, "; X-BEResource=localhost/owa"); /* both Cookie lines kept */
    CHECK(lab_cookie_has(&req, "x-anonresource=TRUE"));
    CHECK(lab_req_keepalive(&req));
}

TEST(partial_heads_ask_for_more)
{
    CHECK_INT(parse("GET / HTTP/1.1\r\nHost: a"), LAB_PARSE_MORE);
    CHECK_INT(parse("GET / HTT"), LAB_PARSE_MORE);
    CHECK_INT(parse(""), LAB_PARSE_MORE);
}

TEST(http10_without_host_closes)
{
    /* nuclei iis-internal-ip-disclosure: raw "GET / HTTP/1.0" without Host. */
    CHECK(parse("GET / HTTP/1.0\r\n\r\n") > 0);
    CHECK(!req.has_host);
    CHECK(!lab_req_keepalive(&req));
    CHECK(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") > 0);
    CHECK(lab_req_keepalive(&req));
    CHECK(parse("GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n") > 0);
    CHECK(!lab_req_keepalive(&req));
}

TEST(extension_methods_and_bare_lf)
{
    /* Metasploit request_fqdn: RPC_IN_DATA /rpc/rpcproxy.dll */
    CHECK(parse("RPC_IN_DATA /rpc/rpcproxy.dll HTTP/1.1\nHost: x\nAuthorization: NTLM TlRMTVNTUAAB\n\n") > 0);
    CHECK_STR(req.method, "RPC_IN_DATA");
    CHECK_STR(req.authorization, "NTLM TlRMTVNTUAAB");
}

TEST(absolute_form_target)
{
    CHECK(parse("GET https://mail.example/ECP/?x=1 HTTP/1.1\r\n\r\n") > 0);
    CHECK_STR(req.path_lc, "/ecp/");
    CHECK_STR(req.query, "x=1");
}

TEST(malformed_requests_are_refused)
{
    CHECK_INT(parse("GET /\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET / HTTP/2.0\r\n\r\n"), LAB_PARSE_VERSION);
    CHECK_INT(parse("GET / FTP/1.0\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), LAB_PARSE_BAD);
    CHECK_INT(parse("GET /a\x01"
                    "b HTTP/1.1\r\n\r\n"),
              LAB_PARSE_BAD);
}

TEST(head_size_is_capped)
{
    static char big[LAB_MAX_HEAD + 64];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    CHECK_INT(lab_http_parse(big, sizeof big, &req), LAB_PARSE_TOO_LARGE);
    static char uri[LAB_MAX_TARGET + 64];
    memset(uri, 'a', sizeof uri);
    memcpy(uri, "GET /", 5);
    memcpy(uri + sizeof uri - 14, " HTTP/1.1\r\n\r\n", 13);
    uri[sizeof uri - 1] = '\0';
    CHECK_INT(parse(uri), LAB_PARSE_TOO_LONG_URI);
    /* Long header values are cut to their slot, never overflow it. */
    static char longhost[LAB_MAX_HEAD];
    int n = snprintf(longhost, sizeof longhost, "GET / HTTP/1.1\r\nHost: %0600d\r\n\r\n", 7);
    CHECK_INT(lab_http_parse(longhost, (size_t)n, &req), n);
    CHECK_INT(strlen(req.host), sizeof req.host - 1);
}

TEST(url_decode)
{
    char out[64];
    lab_url_decode("autodiscover.json%3F@x&FooProtocol=%50owershell%zz%4", out, sizeof out);
    CHECK_STR(out, "autodiscover.json?@x&FooProtocol=Powershell%zz%4");
    lab_url_decode("abcdef", out, 4);
    CHECK_STR(out, "abc");
}

TEST(response_serialization)
{
    lab_resp r;
    ex_buf out = {0};
    lab_resp_init(&r);
    lab_resp_status(&r, 401, "Unauthorized");
    lab_resp_header(&r, "WWW-Authenticate", "Negotiate");
    lab_resp_header(&r, "X-FEServer", "EXCH01");
    lab_resp_header(&r, "WWW-Authenticate", "NTLM");
    lab_resp_body(&r, "abc", 3);
    CHECK(lab_resp_has_header(&r, "www-authenticate"));
    lab_resp_remove_header(&r, "WWW-Authenticate");
    CHECK(!lab_resp_has_header(&r, "WWW-Authenticate"));
    CHECK(lab_resp_has_header(&r, "X-FEServer"));
    CHECK_INT(lab_resp_serialize(&r, false, &out), 0);
    CHECK_STR(out.data, "HTTP/1.1 401 Unauthorized\r\nX-FEServer: EXCH01\r\nContent-Length: 3\r\nConnection: "
                        "close\r\n\r\nabc");
    ex_buf_reset(&out);
    r.head_only = true;
    CHECK_INT(lab_resp_serialize(&r, true, &out), 0);
    CHECK_STR(out.data, "HTTP/1.1 401 Unauthorized\r\nX-FEServer: EXCH01\r\nContent-Length: 3\r\n\r\n");
    ex_buf_free(&out);
    lab_resp_free(&r);
}
