/* The emulated organisation's users: names, SIDs, addresses, devices.
 *
 * Client addresses come only from RFC 1918 (the LAN, 10.20.0.0/16) and the
 * documentation ranges (RFC 5737): 198.51.100.1-199 and 203.0.113.1-199 for
 * users at home or on mobile networks. 192.0.2.0/24 is left to scanners and
 * 203.0.113.200-254 to attackers, so the ranges never mix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mkev.h"

mk_user *mk_users;
size_t mk_nusers;

static const char *const first_names[] = {
    "anna",  "ben",   "clara", "david", "emma", "felix", "greta", "hugo",  "ida",  "jonas", "karin", "lars",
    "mia",   "nils",  "olga",  "paul",  "rita", "sven",  "tina",  "uwe",   "vera", "wim",   "yara",  "zoe",
    "aaron", "birte", "cem",   "dana",  "erik", "fiona", "georg", "hanna", "ilse", "jan",   "kai",   "lena",
};
static const char *const last_names[] = {
    "berg",   "klein",  "wagner", "becker", "hansen", "meyer",  "novak", "peters", "roth",  "schulz",
    "vogel",  "weber",  "koch",   "lang",   "frank",  "martin", "otto",  "sauer",  "stein", "winter",
    "brandt", "keller", "jung",   "haas",   "lorenz", "graf",   "kraus", "ernst",  "pohl",  "wolf",
};

void mk_users_make(uint64_t seed)
{
    mk_rng r;
    mk_rng_seed(&r, seed, 0x75736572); /* "user" */
    mk_nusers = 180;
    mk_users = calloc(mk_nusers, sizeof *mk_users);
    if (!mk_users) {
        mk_warn("out of memory");
        exit(3);
    }
    uint32_t rid_base = 1104;
    for (size_t i = 0; i < mk_nusers; i++) {
        mk_user *u = &mk_users[i];
        const char *fn = first_names[mk_rng_below(&r, MK_LEN(first_names))];
        const char *ln = last_names[mk_rng_below(&r, MK_LEN(last_names))];
        /* Collisions get a number, as a directory would. */
        snprintf(u->sam, sizeof u->sam, "%s.%s", fn, ln);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(mk_users[j].sam, u->sam)) {
                snprintf(u->sam, sizeof u->sam, "%s.%s%zu", fn, ln, i);
                break;
            }
        snprintf(u->upn, sizeof u->upn, "%s@%s", u->sam, MK_DOMAIN);
        snprintf(u->dom_user, sizeof u->dom_user, "%s\\%s", MK_NETBIOS, u->sam);
        snprintf(u->sid, sizeof u->sid, "S-1-5-21-3623811015-3361044348-30300820-%u", rid_base + (unsigned)i * 3);
        snprintf(u->lan_ip, sizeof u->lan_ip, "10.20.%u.%u", 1 + mk_rng_below(&r, 6), 10 + mk_rng_below(&r, 240));
        snprintf(u->ext_ip, sizeof u->ext_ip, "198.51.100.%u", 1 + mk_rng_below(&r, 199));
        snprintf(u->mobile_ip, sizeof u->mobile_ip, "203.0.113.%u", 1 + mk_rng_below(&r, 199));
        static const char devchars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for (int k = 0; k < 32; k++)
            u->device_id[k] = devchars[mk_rng_below(&r, 36)];
        u->device_id[32] = 0;
        mk_rng_guid(&r, u->mbx_guid);
        u->db_guid_idx = (uint8_t)mk_rng_below(&r, 4);
        u->device = (uint8_t)mk_rng_below(&r, 255);
        u->outlook = (uint8_t)mk_rng_below(&r, 255);
        u->admin = i < 3;
    }
    /* The first accounts are the administrators everybody has. */
    snprintf(mk_users[0].sam, sizeof mk_users[0].sam, "administrator");
    snprintf(mk_users[0].upn, sizeof mk_users[0].upn, "administrator@%s", MK_DOMAIN);
    snprintf(mk_users[0].dom_user, sizeof mk_users[0].dom_user, "%s\\administrator", MK_NETBIOS);
    snprintf(mk_users[0].sid, sizeof mk_users[0].sid, "S-1-5-21-3623811015-3361044348-30300820-500");
    snprintf(mk_users[1].sam, sizeof mk_users[1].sam, "exadmin");
    snprintf(mk_users[1].upn, sizeof mk_users[1].upn, "exadmin@%s", MK_DOMAIN);
    snprintf(mk_users[1].dom_user, sizeof mk_users[1].dom_user, "%s\\exadmin", MK_NETBIOS);
}
