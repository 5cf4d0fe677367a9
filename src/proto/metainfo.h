/*
 * metainfo.h - .torrent files (BEP 3, 12, 47, 52): v1, v2 and hybrid.
 *
 * sw_metainfo_parse() reads a whole .torrent file held in memory and
 * returns one heap object describing it; the input buffer may be freed as
 * soon as the call returns (everything is copied).  The numbers follow
 * libtorrent 2.0 (torrent_info), so that what swarmwatch prints about a
 * torrent agrees with what the clients in the swarm believe:
 *
 *   total_size    libtorrent's total_size(): the bytes of the torrent's
 *                 piece space, BEP 47 pad files included.  v1 and hybrid:
 *                 the sum of every `files` entry (pads too).  v2 only:
 *                 every non-empty file padded up to a piece boundary, the
 *                 last one included, so num_pieces * piece_length.
 *   content_size  the bytes of real files (pads excluded): what a user
 *                 calls the torrent's size.
 *   num_pieces    v1 and hybrid: ceil(total_size / piece_length), which
 *                 must equal the number of 20-byte hashes in `pieces`.
 *                 v2 only: the sum over files of ceil(length/piece_length).
 *   name          `name.utf-8` when present, else `name` (libtorrent); in
 *                 a v2-only torrent whose file tree is a single file at
 *                 the root, that file's name (libtorrent again).
 *   files         real files only: pad files (attr 'p') are left out of
 *                 the listing, unlike libtorrent's file_storage.
 */
#ifndef SW_METAINFO_H
#define SW_METAINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/types.h"

/* Largest .torrent accepted (SW_E_TOO_BIG beyond). */
#ifndef SW_METAINFO_MAX_SIZE
#define SW_METAINFO_MAX_SIZE (64u * 1024u * 1024u)
#endif
/* Most bencode values decoded from one file (SW_E_TOO_BIG beyond). */
#ifndef SW_METAINFO_MAX_TOKENS
#define SW_METAINFO_MAX_TOKENS (2u * 1024u * 1024u)
#endif
/* Deepest directory nesting of a file path (v1 `path`, v2 `file tree`). */
#ifndef SW_METAINFO_MAX_PATH_DEPTH
#define SW_METAINFO_MAX_PATH_DEPTH 64
#endif
/* Longest joined file path, in bytes. */
#ifndef SW_METAINFO_MAX_PATH_LEN
#define SW_METAINFO_MAX_PATH_LEN 4096
#endif
/* Tracker URLs, and web seeds of each kind, kept; further ones are ignored. */
#ifndef SW_METAINFO_MAX_TRACKERS
#define SW_METAINFO_MAX_TRACKERS 512
#endif
#ifndef SW_METAINFO_MAX_WEB_SEEDS
#define SW_METAINFO_MAX_WEB_SEEDS 256
#endif

#define SW_SHA1_PIECE_HASH_LEN 20     /* one entry of v1 `pieces` */
#define SW_V2_MIN_PIECE_LEN    16384u /* BEP 52: power of two, at least 16 KiB */

/* File attributes (BEP 47 `attr`). */
enum sw_file_attr {
	SW_FILE_PAD = 1u << 0,        /* 'p' (never in the listing) */
	SW_FILE_EXECUTABLE = 1u << 1, /* 'x' */
	SW_FILE_HIDDEN = 1u << 2,     /* 'h' */
	SW_FILE_SYMLINK = 1u << 3,    /* 'l'; size is 0, as in libtorrent */
};

struct sw_metainfo_file {
	char *path; /* components joined by '/', relative to the torrent's
	               root directory (multi-file) or the name (single-file) */
	uint64_t size;
	unsigned attr; /* enum sw_file_attr bits */
};

/* One BEP 12 tier: URLs in file order, none empty, none repeated. */
struct sw_metainfo_tier {
	char **urls;
	size_t num_urls;
};

struct sw_metainfo {
	bool has_v1;                             /* `pieces` present */
	bool has_v2;                             /* `meta version` 2 + `file tree` */
	uint8_t infohash_v1[SW_INFOHASH_LEN];    /* SHA-1 of the info dict's bytes */
	uint8_t infohash_v2[SW_INFOHASH_V2_LEN]; /* SHA-256 of the same bytes */
	char *name;                              /* NUL-terminated, never NULL */
	uint64_t total_size;                     /* see above: pads included */
	uint64_t content_size;                   /* pads excluded */
	uint64_t piece_length;
	uint64_t num_pieces;
	uint8_t *piece_hashes;                    /* v1: num_pieces SHA-1 hashes of 20
						     bytes (`pieces`); NULL without v1 */
	bool is_private;                /* info `private` is non-zero */
	struct sw_metainfo_file *files; /* num_files entries, file order */
	size_t num_files;
	/*
	 * `announce-list` when it yields any URL (BEP 12), else `announce` as
	 * a single tier; no URL appears twice, even across tiers; empty tiers
	 * are dropped.  Leading and trailing whitespace is trimmed.
	 */
	struct sw_metainfo_tier *tiers;
	size_t num_tiers;
	char **web_seeds; /* BEP 19 `url-list` (a string or a list), deduplicated */
	size_t num_web_seeds;
	char **http_seeds; /* BEP 17 `httpseeds`, likewise (libtorrent lists both
	                      kinds in web_seeds()) */
	size_t num_http_seeds;
};

/*
 * Parse the .torrent in buf[0..len).  On success returns 0 and stores a new
 * object in *out, which the caller frees with sw_metainfo_free().  On failure
 * *out is NULL and eb (if not NULL) says why, naming the key or, for
 * malformed bencode, the byte offset.  Returns:
 *   SW_E_INVALID      the file breaks BEP 3/12/47/52 (bad type, missing key,
 *                     bad path such as "..", pieces/size mismatch, ...)
 *   SW_E_NEED_MORE, SW_E_TRAILING, SW_E_RANGE, SW_E_TOO_BIG
 *                     from the bencode decoder (truncated input, bytes after
 *                     the root dict, integer overflow, depth or count caps);
 *                     SW_E_TOO_BIG also for len > SW_METAINFO_MAX_SIZE
 *   SW_E_UNSUPPORTED  a `meta version` other than 2
 *   SW_E_NOMEM        allocation failed
 */
int sw_metainfo_parse(const uint8_t *buf, size_t len, struct sw_metainfo **out,
                      struct sw_errbuf *eb);

/*
 * Parse a bare info dictionary (what BEP 9 metadata exchange delivers), as
 * the .torrent `d4:info<info>e` would be parsed.  Same returns as
 * sw_metainfo_parse(); SW_E_NOMEM also when the wrapper cannot be built.
 */
int sw_metainfo_parse_info(const uint8_t *info, size_t len, struct sw_metainfo **out,
                           struct sw_errbuf *eb);

/* Free m and everything it holds; NULL is fine. */
void sw_metainfo_free(struct sw_metainfo *m);

/*
 * The one infohash that names the torrent's swarm throughout swarmwatch:
 * infohash_v1 when present, else infohash_v2 truncated to 20 bytes.
 */
void sw_metainfo_swarm_id(const struct sw_metainfo *m, uint8_t out[SW_INFOHASH_LEN]);

#endif /* SW_METAINFO_H */
