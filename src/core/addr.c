/* addr.c - address values, text forms, and classification (RFC 6890). */
#include "core/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void sw_addr_init_v4(struct sw_addr *a, const uint8_t ip[SW_ADDR_V4_LEN], uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->ip, ip, SW_ADDR_V4_LEN);
	a->port = port;
}

void sw_addr_init_v6(struct sw_addr *a, const uint8_t ip[SW_ADDR_V6_LEN], uint16_t port)
{
	if (memcmp(ip, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		sw_addr_init_v4(a, ip + 12, port);
		return;
	}
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->ip, ip, SW_ADDR_V6_LEN);
	a->port = port;
}

void sw_addr_from_compact4(struct sw_addr *a, const uint8_t p[SW_COMPACT_PEER4_LEN])
{
	sw_addr_init_v4(a, p, (uint16_t)(p[4] << 8 | p[5]));
}

void sw_addr_from_compact6(struct sw_addr *a, const uint8_t p[SW_COMPACT_PEER6_LEN])
{
	sw_addr_init_v6(a, p, (uint16_t)(p[16] << 8 | p[17]));
}

int sw_addr_parse_ip(struct sw_addr *a, const char *s, uint16_t port)
{
	uint8_t ip[SW_ADDR_V6_LEN];
	char tmp[64];
	size_t n = strlen(s);

	if (inet_pton(AF_INET, s, ip) == 1) {
		sw_addr_init_v4(a, ip, port);
		return SW_OK;
	}
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n - 2 >= sizeof(tmp))
			return SW_E_INVALID;
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = 0;
		s = tmp;
	}
	if (inet_pton(AF_INET6, s, ip) == 1) {
		sw_addr_init_v6(a, ip, port);
		return SW_OK;
	}
	return SW_E_INVALID;
}

int sw_addr_parse(struct sw_addr *a, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64], *end;
	unsigned long port;
	size_t hl;

	if (colon == NULL || colon == s)
		return SW_E_INVALID;
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return SW_E_INVALID;
	memcpy(host, s, hl);
	host[hl] = 0;
	/* An IPv6 address must be bracketed when a port follows. */
	if (strchr(host, ':') != NULL && host[0] != '[')
		return SW_E_INVALID;
	if (colon[1] < '0' || colon[1] > '9')
		return SW_E_INVALID;
	port = strtoul(colon + 1, &end, 10);
	if (*end != 0 || port > 65535)
		return SW_E_INVALID;
	return sw_addr_parse_ip(a, host, (uint16_t)port);
}

void sw_addr_ip_str(const struct sw_addr *a, char *out, size_t outlen)
{
	if (inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->ip, out,
		      (socklen_t)outlen) == NULL && outlen > 0)
		out[0] = 0;
}

void sw_addr_str(const struct sw_addr *a, char *out, size_t outlen)
{
	char ip[SW_ADDR_STRLEN];

	sw_addr_ip_str(a, ip, sizeof(ip));
	if (a->family == AF_INET)
		snprintf(out, outlen, "%s:%u", ip, a->port);
	else
		snprintf(out, outlen, "[%s]:%u", ip, a->port);
}

socklen_t sw_addr_to_sockaddr(const struct sw_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, SW_ADDR_V4_LEN);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, SW_ADDR_V6_LEN);
		return sizeof(*in6);
	}
}

int sw_addr_from_sockaddr(struct sw_addr *a, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		sw_addr_init_v4(a, (const uint8_t *)&in->sin_addr, ntohs(in->sin_port));
		return SW_OK;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		sw_addr_init_v6(a, (const uint8_t *)&in6->sin6_addr, ntohs(in6->sin6_port));
		return SW_OK;
	}
	return SW_E_UNSUPPORTED;
}

static enum sw_addr_class classify4(const uint8_t *ip)
{
	uint32_t v = (uint32_t)ip[0] << 24 | (uint32_t)ip[1] << 16 | (uint32_t)ip[2] << 8 | ip[3];
	static const struct {
		uint32_t net, mask;
		enum sw_addr_class cls;
	} ranges[] = {
		{0x00000000, 0xff000000, SW_ADDR_UNSPECIFIED}, /* 0/8 "this network" */
		{0x0a000000, 0xff000000, SW_ADDR_PRIVATE},     /* 10/8 */
		{0x64400000, 0xffc00000, SW_ADDR_PRIVATE},     /* 100.64/10 shared (CGN) */
		{0x7f000000, 0xff000000, SW_ADDR_LOOPBACK},    /* 127/8 */
		{0xa9fe0000, 0xffff0000, SW_ADDR_LINK_LOCAL},  /* 169.254/16 */
		{0xac100000, 0xfff00000, SW_ADDR_PRIVATE},     /* 172.16/12 */
		{0xc0000000, 0xffffff00, SW_ADDR_RESERVED},    /* 192.0.0/24 IETF */
		{0xc0000200, 0xffffff00, SW_ADDR_RESERVED},    /* 192.0.2/24 TEST-NET-1 */
		{0xc0a80000, 0xffff0000, SW_ADDR_PRIVATE},     /* 192.168/16 */
		{0xc6120000, 0xfffe0000, SW_ADDR_RESERVED},    /* 198.18/15 benchmarking */
		{0xc6336400, 0xffffff00, SW_ADDR_RESERVED},    /* 198.51.100/24 TEST-NET-2 */
		{0xcb007100, 0xffffff00, SW_ADDR_RESERVED},    /* 203.0.113/24 TEST-NET-3 */
		{0xe0000000, 0xf0000000, SW_ADDR_MULTICAST},   /* 224/4 */
		{0xf0000000, 0xf0000000, SW_ADDR_RESERVED},    /* 240/4 incl. broadcast */
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if ((v & ranges[i].mask) == ranges[i].net)
			return ranges[i].cls;
	}
	return SW_ADDR_PUBLIC;
}

static enum sw_addr_class classify6(const uint8_t *ip)
{
	static const uint8_t zero[SW_ADDR_V6_LEN];

	if (memcmp(ip, zero, 15) == 0)
		return ip[15] == 1 ? SW_ADDR_LOOPBACK : SW_ADDR_UNSPECIFIED;
	if (ip[0] == 0xff)
		return SW_ADDR_MULTICAST;
	if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
		return SW_ADDR_LINK_LOCAL;
	if ((ip[0] & 0xfe) == 0xfc)
		return SW_ADDR_PRIVATE; /* fc00::/7 unique local */
	if (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0x0d && ip[3] == 0xb8)
		return SW_ADDR_RESERVED; /* 2001:db8::/32 documentation */
	if (ip[0] == 0x01 && memcmp(ip + 1, zero, 7) == 0)
		return SW_ADDR_RESERVED; /* 100::/64 discard */
	if ((ip[0] & 0xe0) != 0x20)
		return SW_ADDR_RESERVED; /* outside 2000::/3, the global unicast space */
	return SW_ADDR_PUBLIC;
}

enum sw_addr_class sw_addr_classify(const struct sw_addr *a)
{
	return a->family == AF_INET ? classify4(a->ip) : classify6(a->ip);
}

const char *sw_addr_class_name(enum sw_addr_class c)
{
	switch (c) {
	case SW_ADDR_PUBLIC: return "public";
	case SW_ADDR_PRIVATE: return "private";
	case SW_ADDR_LOOPBACK: return "loopback";
	case SW_ADDR_LINK_LOCAL: return "link-local";
	case SW_ADDR_MULTICAST: return "multicast";
	case SW_ADDR_UNSPECIFIED: return "unspecified";
	case SW_ADDR_RESERVED: return "reserved";
	}
	return "unknown";
}

bool sw_addr_same_ip(const struct sw_addr *a, const struct sw_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, SW_ADDR_V6_LEN) == 0;
}
