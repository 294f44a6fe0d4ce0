/* handlers: what each persona answers to one HTTP request. Pure with respect
 * to the network: a request and a host in, a response out (server.c sends it). */
#ifndef EXAUDIT_LAB_HANDLERS_H
#define EXAUDIT_LAB_HANDLERS_H

#include "http.h"
#include "lab.h"

typedef struct lab_ctx {
    const lab_host *host;
    const lab_req *req;
    uint64_t seq; /* request number on this worker: request-id GUIDs */
} lab_ctx;

typedef void (*lab_handler)(const lab_ctx *c, lab_resp *r);

/* Dispatch on the host's persona (personas.c). */
void lab_handle(const lab_ctx *c, lab_resp *r);

/* On-premises Exchange (exchange.c); WAF personas wrap it. */
void lab_exchange_handle(const lab_ctx *c, lab_resp *r);

/* NTLM (ntlm.c): when authorization carries an NTLMSSP type 1 message, write the
 * WWW-Authenticate value ("NTLM <base64 type 2>" or "Negotiate <...>") and return 1. */
int lab_ntlm_answer(const lab_host *h, const char *authorization, char *value, size_t n);
/* Decode "NTLM <b64>" / "Negotiate <b64>" into raw bytes; returns the length or -1. */
int lab_ntlm_decode(const char *authorization, unsigned char *out, size_t n);
/* Build a type 2 message for this host; returns its length or -1. */
int lab_ntlm_type2(const lab_host *h, const unsigned char challenge[8], uint64_t filetime, unsigned char *out,
                   size_t n);

/* Shared helpers (personas.c). */
void lab_request_id(const lab_ctx *c, char *buf, size_t n);
void lab_iis_headers(const lab_ctx *c, lab_resp *r);
void lab_iis_404(const lab_ctx *c, lab_resp *r);
void lab_redirect(lab_resp *r, const char *location);
/* The Host the client asked for, or the internal address IIS leaks without one. */
const char *lab_host_or_internal(const lab_ctx *c);

#endif
