/*
 * clientid.c - client names from peer ids.
 *
 * No BEP fixes the peer id; clients follow one of a few conventions
 * (https://wiki.theory.org/BitTorrentSpecification#peer_id), tried here
 * in this order:
 *
 *   Azureus style   '-' code(2) version(4) '-' random(12)
 *                   -TR3000-rjy1q5kbekat   Transmission 3.00
 *                   -qB4520-1Cep64MDYOxA   qBittorrent 4.5.2
 *                   -LT2080-7oQUG4xi93rU   libtorrent (Rasterbar) 2.0.8
 *                   -lt0D80-p...           libTorrent (Rakshasa, rtorrent) 0.13.8
 *   Mainline style  letters, then numbers joined by '-', ended by '-'
 *                   A2-1-36-0-<random>     aria2 1.36.0
 *                   M7-2-3--<random>       BitTorrent (Mainline) 7.2.3
 *   Shadow style    code(1) version(up to 5, '-'-padded) "---" random
 *                   S58B-----<random>      Shadow 5.8.11
 *   TIX             TIX0291-<random>       Tixati 2.91
 *
 * The peer ids above (but Mainline's and Shadow's) are what real clients
 * sent on loopback (tests/fixtures/peerwire/).  Note the case of the
 * two libtorrents: rtorrent's libTorrent is "lt", libtorrent-rasterbar
 * (qBittorrent's and Deluge's engine, python3-libtorrent) is "LT".
 *
 * Azureus version characters are one digit each, with letters for
 * numbers above 9 as libtorrent writes them (0-9, A-Z = 10-35, a-z =
 * 36-61): "-lt0D80-" is 0.13.8, "-DE13F0-" is 1.3.15.  Most clients
 * put major, minor, revision and a tag (usually 0, left out when so);
 * some use the fourth for a release letter (µTorrent's "-UT355W-"), and
 * a few have their own rules: Transmission up to 3.x writes major,
 * two-digit minor and a 'Z' or 'X' for a development build (-TR300Z- is
 * 3.00+), from 4.0 major, minor, patch (-TR4050- is 4.0.5); BitComet
 * major and minor as two decimal pairs (-BC0150- is 1.50); WebTorrent the
 * same without the leading zero of the minor (-WW0105- is 1.5).
 */
#include "peer/clientid.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proto/peerext.h"

#define AZ_CODE_OFF     1
#define AZ_VERSION_OFF  3
#define AZ_VERSION_LEN  4
#define AZ_END_OFF      7
#define UNKNOWN_SHOWN   8 /* bytes of an unknown peer id shown */
#define SHADOW_VER_OFF  1
#define SHADOW_VER_MAX  5
#define SHADOW_PAD_OFF  6
#define SHADOW_PAD_LEN  3
#define MAINLINE_PARTS  3
#define MAINLINE_DIGITS 3 /* most digits in one number */
#define DECIMAL         10
#define LETTER_BASE     10 /* 'A' */
#define LOWER_BASE      36 /* 'a' */
#define SHADOW_DOT      62
#define SHADOW_DASH     63

/* How the four version characters of an Azureus-style id read. */
enum az_format {
	AZ_DOTTED,  /* a.b.c, and .d when d is not 0 */
	AZ_DOTTED3, /* a.b.c; the fourth is a release letter or build */
	AZ_TR,      /* Transmission */
	AZ_TWO_TWO, /* ab.cd as %u.%02u (BitComet) */
	AZ_WW,      /* ab.cd as %u.%u (WebTorrent) */
};

static const struct az_client {
	char code[3];
	const char *name;
	enum az_format fmt;
} AZ_CLIENTS[] = {
    {"7T", "aTorrent", AZ_DOTTED},
    {"AG", "Ares", AZ_DOTTED},
    {"A~", "Ares", AZ_DOTTED},
    {"AR", "Arctic", AZ_DOTTED},
    {"AZ", "Vuze", AZ_DOTTED},
    {"BB", "BitBuddy", AZ_DOTTED},
    {"BC", "BitComet", AZ_TWO_TWO},
    {"BF", "Bitflu", AZ_DOTTED},
    {"BI", "BiglyBT", AZ_DOTTED},
    {"BN", "Baidu Netdisk", AZ_DOTTED},
    {"BR", "BitRocket", AZ_DOTTED},
    {"BS", "BTSlave", AZ_DOTTED},
    {"BT", "BitTorrent", AZ_DOTTED3},
    {"BW", "BitTorrent Web", AZ_DOTTED3},
    {"CD", "Enhanced CTorrent", AZ_DOTTED},
    {"CT", "CTorrent", AZ_DOTTED},
    {"DE", "Deluge", AZ_DOTTED},
    {"FD", "Free Download Manager", AZ_DOTTED},
    {"FG", "FlashGet", AZ_DOTTED},
    {"FW", "FrostWire", AZ_DOTTED},
    {"FX", "Freebox BitTorrent", AZ_DOTTED},
    {"HL", "Halite", AZ_DOTTED},
    {"KG", "KGet", AZ_DOTTED},
    {"KT", "KTorrent", AZ_DOTTED3},
    {"LC", "LeechCraft", AZ_DOTTED},
    {"LT", "libtorrent", AZ_DOTTED},
    {"lt", "libTorrent (rtorrent)", AZ_DOTTED},
    {"LW", "LimeWire", AZ_DOTTED},
    {"MG", "MediaGet", AZ_DOTTED},
    {"MO", "MonoTorrent", AZ_DOTTED},
    {"PD", "Pando", AZ_DOTTED},
    {"PI", "PicoTorrent", AZ_DOTTED},
    {"qB", "qBittorrent", AZ_DOTTED},
    {"QD", "QQDownload", AZ_DOTTED},
    {"SD", "Thunder", AZ_DOTTED},
    {"SP", "BitSpirit", AZ_DOTTED},
    {"ST", "SymTorrent", AZ_DOTTED},
    {"SW", "swarmwatch", AZ_DOTTED},
    {"SZ", "Shareaza", AZ_DOTTED},
    {"TL", "Tribler", AZ_DOTTED},
    {"TR", "Transmission", AZ_TR},
    {"TS", "Torrentstorm", AZ_DOTTED},
    {"TT", "TuoTu", AZ_DOTTED},
    {"UM", "µTorrent Mac", AZ_DOTTED3},
    {"UT", "µTorrent", AZ_DOTTED3},
    {"UW", "µTorrent Web", AZ_DOTTED3},
    {"WD", "WebTorrent Desktop", AZ_WW},
    {"WW", "WebTorrent", AZ_WW},
    {"XL", "Xunlei", AZ_DOTTED},
    {"XX", "Xtorrent", AZ_DOTTED},
    {"ZT", "ZipTorrent", AZ_DOTTED},
};

/* Mainline style: the prefix up to the first number, and the name. */
static const struct {
	const char *prefix;
	const char *name;
} MAINLINE_CLIENTS[] = {
    {"A2-", "aria2"},
    {"M", "BitTorrent (Mainline)"},
    {"Q", "Queen Bee"},
};

static const struct {
	char code;
	const char *name;
} SHADOW_CLIENTS[] = {
    {'A', "ABC"},
    {'O', "Osprey Permaseed"},
    {'Q', "BTQueue"},
    {'R', "Tribler"},
    {'S', "Shadow"},
    {'T', "BitTornado"},
    {'U', "UPnP NAT Bit Torrent"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

__attribute__((format(printf, 3, 4))) static void emit(char *out, size_t outlen, const char *fmt,
                                                       ...)
{
	va_list ap;

	if (outlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

/* libtorrent's version digit: 0-9, A-Z, a-z; -1 for anything else. */
static int version_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + LETTER_BASE;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + LOWER_BASE;
	return -1;
}

static int decimal2(const uint8_t *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * DECIMAL + (p[1] - '0');
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Transmission's three schemes; false when the characters fit none. */
static bool format_tr(const uint8_t *v, const char *name, char *out, size_t outlen)
{
	int minor;

	if (v[0] == '0' && v[1] == '0' && v[2] == '0') {
		emit(out, outlen, "%s 0.%c", name, is_digit(v[3]) ? v[3] : '?');
	} else if (v[0] == '0' && v[1] == '0') {
		if ((minor = decimal2(v + 2)) < 0)
			return false;
		emit(out, outlen, "%s 0.%02d", name, minor);
	} else if (v[0] >= '1' && v[0] <= '3') {
		if ((minor = decimal2(v + 1)) < 0)
			return false;
		emit(out, outlen, "%s %d.%02d%s", name, v[0] - '0', minor,
		     v[3] == 'Z' || v[3] == 'X' ? "+" : "");
	} else {
		emit(out, outlen, "%s %d.%d.%d%s", name, version_digit(v[0]), version_digit(v[1]),
		     version_digit(v[2]),
		     v[3] == 'Z'   ? "-dev"
		     : v[3] == 'B' ? "-beta"
		                   : "");
	}
	return true;
}

static bool format_az(const struct az_client *c, const uint8_t *v, char *out, size_t outlen)
{
	int d[AZ_VERSION_LEN], i;

	for (i = 0; i < AZ_VERSION_LEN; i++)
		d[i] = version_digit(v[i]);
	switch (c->fmt) {
	case AZ_TR: return format_tr(v, c->name, out, outlen);
	case AZ_TWO_TWO:
	case AZ_WW:
		if (decimal2(v) < 0 || decimal2(v + 2) < 0)
			return false;
		emit(out, outlen, c->fmt == AZ_WW ? "%s %d.%d" : "%s %d.%02d", c->name, decimal2(v),
		     decimal2(v + 2));
		return true;
	case AZ_DOTTED3: emit(out, outlen, "%s %d.%d.%d", c->name, d[0], d[1], d[2]); return true;
	case AZ_DOTTED: break;
	}
	if (d[3] != 0)
		emit(out, outlen, "%s %d.%d.%d.%d", c->name, d[0], d[1], d[2], d[3]);
	else
		emit(out, outlen, "%s %d.%d.%d", c->name, d[0], d[1], d[2]);
	return true;
}

static bool azureus(const uint8_t *id, char *out, size_t outlen)
{
	size_t i;

	if (id[0] != '-' || id[AZ_END_OFF] != '-')
		return false;
	for (i = 0; i < AZ_VERSION_LEN; i++) {
		if (version_digit(id[AZ_VERSION_OFF + i]) < 0)
			return false;
	}
	for (i = 0; i < COUNT(AZ_CLIENTS); i++) {
		if (memcmp(id + AZ_CODE_OFF, AZ_CLIENTS[i].code, 2) == 0)
			return format_az(&AZ_CLIENTS[i], id + AZ_VERSION_OFF, out, outlen);
	}
	return false;
}

/* MAINLINE_PARTS decimal numbers joined by '-' at p, then a '-'. */
static bool mainline_version(const uint8_t *p, const uint8_t *end, unsigned v[MAINLINE_PARTS])
{
	size_t part, digits;

	for (part = 0; part < MAINLINE_PARTS; part++) {
		v[part] = 0;
		for (digits = 0; p < end && is_digit(*p); p++, digits++) {
			if (digits == MAINLINE_DIGITS)
				return false;
			v[part] = v[part] * DECIMAL + (unsigned)(*p - '0');
		}
		if (digits == 0 || p == end || *p != '-')
			return false;
		p++;
	}
	return true;
}

static bool mainline(const uint8_t *id, char *out, size_t outlen)
{
	unsigned v[MAINLINE_PARTS];
	size_t i, plen;

	for (i = 0; i < COUNT(MAINLINE_CLIENTS); i++) {
		plen = strlen(MAINLINE_CLIENTS[i].prefix);
		if (memcmp(id, MAINLINE_CLIENTS[i].prefix, plen) != 0)
			continue;
		if (!mainline_version(id + plen, id + SW_PEER_ID_LEN, v))
			continue;
		emit(out, outlen, "%s %u.%u.%u", MAINLINE_CLIENTS[i].name, v[0], v[1], v[2]);
		return true;
	}
	return false;
}

static int shadow_digit(uint8_t c)
{
	if (c == '.')
		return SHADOW_DOT;
	return version_digit(c);
}

static bool shadow(const uint8_t *id, char *out, size_t outlen)
{
	size_t i, n, o;
	const char *name = NULL;

	for (i = 0; i < COUNT(SHADOW_CLIENTS); i++) {
		if (id[0] == (uint8_t)SHADOW_CLIENTS[i].code)
			name = SHADOW_CLIENTS[i].name;
	}
	if (name == NULL || memcmp(id + SHADOW_PAD_OFF, "---", SHADOW_PAD_LEN) != 0)
		return false;
	for (n = 0; n < SHADOW_VER_MAX && id[SHADOW_VER_OFF + n] != '-'; n++) {
		if (shadow_digit(id[SHADOW_VER_OFF + n]) < 0)
			return false;
	}
	if (n == 0)
		return false;
	for (i = SHADOW_VER_OFF + n; i < SHADOW_VER_OFF + SHADOW_VER_MAX; i++) {
		if (id[i] != '-')
			return false;
	}
	o = (size_t)snprintf(out, outlen, "%s ", name);
	for (i = 0; i < n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, i ? ".%d" : "%d",
		                      shadow_digit(id[SHADOW_VER_OFF + i]));
	return true;
}

static bool tixati(const uint8_t *id, char *out, size_t outlen)
{
	if (memcmp(id, "TIX", 3) != 0 || decimal2(id + 3) < 0 || decimal2(id + 5) < 0)
		return false;
	emit(out, outlen, "Tixati %d.%02d", decimal2(id + 3), decimal2(id + 5));
	return true;
}

/* "unknown (" the first bytes, printable ASCII as is, others \xHH ")". */
static void unknown(const uint8_t *id, char *out, size_t outlen)
{
	char shown[UNKNOWN_SHOWN * 4 + 1];
	size_t i, o = 0;

	for (i = 0; i < UNKNOWN_SHOWN; i++) {
		if (id[i] >= 0x20 && id[i] < 0x7f && id[i] != '\\') {
			shown[o++] = (char)id[i];
		} else {
			static const char hex[] = "0123456789abcdef";

			shown[o++] = '\\';
			shown[o++] = 'x';
			shown[o++] = hex[id[i] >> 4];
			shown[o++] = hex[id[i] & 0xf];
		}
	}
	shown[o] = '\0';
	emit(out, outlen, "unknown (%s)", shown);
}

enum sw_clientid_source sw_clientid_from_peer_id(const uint8_t peer_id[SW_PEER_ID_LEN], char *out,
                                                 size_t outlen)
{
	if (outlen == 0)
		return SW_CLIENTID_UNKNOWN;
	out[0] = '\0';
	if (azureus(peer_id, out, outlen) || mainline(peer_id, out, outlen) ||
	    shadow(peer_id, out, outlen) || tixati(peer_id, out, outlen))
		return SW_CLIENTID_PEER_ID;
	unknown(peer_id, out, outlen);
	return SW_CLIENTID_UNKNOWN;
}

enum sw_clientid_source sw_clientid_describe(const uint8_t peer_id[SW_PEER_ID_LEN],
                                             const uint8_t *v, size_t vlen, char *out,
                                             size_t outlen)
{
	if (v != NULL && vlen > 0 && outlen > 0 && sw_px_sanitize(out, outlen, v, vlen) > 0)
		return SW_CLIENTID_V;
	return sw_clientid_from_peer_id(peer_id, out, outlen);
}
