/*
 * addr.h - peer addresses: a compact value type, text forms, and the
 * address hygiene rules.
 *
 * An address handed to us by a tracker, DHT node or peer is a claim, and
 * some claims point at hosts that must never be contacted: private
 * networks, loopback, link-local, multicast, reserved and documentation
 * ranges.  sw_addr_is_public() says whether an address may be contacted
 * without --allow-private; the rest of the system counts the others as
 * rejected and never sends them a byte.
 */
#ifndef SW_ADDR_H
#define SW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define SW_ADDR_V4_LEN      4
#define SW_ADDR_V6_LEN      16
#define SW_COMPACT_PEER4_LEN 6  /* BEP 23: 4-byte address, 2-byte port, network order */
#define SW_COMPACT_PEER6_LEN 18 /* BEP 7: 16-byte address, 2-byte port */
#define SW_ADDR_STRLEN      48  /* "[ffff:...:ffff]:65535" and NUL */

/*
 * An IPv4 or IPv6 address and port.  IPv4 lives in ip[0..4) with the rest
 * zero, so two sw_addr values compare equal with memcmp() when they name
 * the same endpoint (use sw_addr_init_* to build them).
 */
struct sw_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t ip[SW_ADDR_V6_LEN];
	uint16_t port; /* host order */
};

enum sw_addr_class {
	SW_ADDR_PUBLIC = 0,
	SW_ADDR_PRIVATE,     /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
	SW_ADDR_LOOPBACK,    /* 127/8, ::1 */
	SW_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
	SW_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
	SW_ADDR_UNSPECIFIED, /* 0/8, :: */
	SW_ADDR_RESERVED,    /* 240/4, broadcast, documentation, benchmarking... */
};

void sw_addr_init_v4(struct sw_addr *a, const uint8_t ip[SW_ADDR_V4_LEN], uint16_t port);
void sw_addr_init_v6(struct sw_addr *a, const uint8_t ip[SW_ADDR_V6_LEN], uint16_t port);

/* Decode a compact peer (6 or 18 bytes, network order) into a. */
void sw_addr_from_compact4(struct sw_addr *a, const uint8_t p[SW_COMPACT_PEER4_LEN]);
void sw_addr_from_compact6(struct sw_addr *a, const uint8_t p[SW_COMPACT_PEER6_LEN]);

/*
 * Parse "1.2.3.4", "::1" or "[::1]" (no port) into a, keeping port.
 * IPv4-mapped IPv6 (::ffff:1.2.3.4) becomes IPv4.  0 or SW_E_INVALID.
 */
int sw_addr_parse_ip(struct sw_addr *a, const char *s, uint16_t port);
/* Parse "1.2.3.4:80" or "[::1]:80".  0 or SW_E_INVALID. */
int sw_addr_parse(struct sw_addr *a, const char *s);

/* "1.2.3.4" or "2001:db8::1" into out (SW_ADDR_STRLEN bytes). */
void sw_addr_ip_str(const struct sw_addr *a, char *out, size_t outlen);
/* "1.2.3.4:80" or "[2001:db8::1]:80". */
void sw_addr_str(const struct sw_addr *a, char *out, size_t outlen);

/* To and from struct sockaddr for the socket layer. */
socklen_t sw_addr_to_sockaddr(const struct sw_addr *a, struct sockaddr_storage *ss);
int sw_addr_from_sockaddr(struct sw_addr *a, const struct sockaddr *sa);

enum sw_addr_class sw_addr_classify(const struct sw_addr *a);
static inline bool sw_addr_is_public(const struct sw_addr *a)
{
	return sw_addr_classify(a) == SW_ADDR_PUBLIC;
}
const char *sw_addr_class_name(enum sw_addr_class c);

/* Same IP (port ignored)? */
bool sw_addr_same_ip(const struct sw_addr *a, const struct sw_addr *b);

#endif /* SW_ADDR_H */
