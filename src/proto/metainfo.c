/*
 * metainfo.c - .torrent files: v1 (BEP 3), multitracker (BEP 12), pad
 * files (BEP 47), web seeds (BEP 19, BEP 17), v2 and hybrid (BEP 52).
 *
 * Why parse it ourselves and how: a .torrent names a swarm, and the name
 * is a hash over bytes, so the one thing that must be exact is the span of
 * the info dict.  The bencode decoder hands out tokens that are offsets
 * into the file; the infohashes are digests of that span as stored
 * (BEP 52: "must not perform a decode-encode roundtrip"):
 *
 *     d 8:announce 9:http://t/ 4:info d ... e e
 *                                     ^^^^^^^^^ sw_bencode_span(info)
 *     v1 infohash = SHA-1(span)      v2 infohash = SHA-256(span)
 *
 * The info dict (keys read here):
 *
 *     name, name.utf-8    display name; libtorrent prefers name.utf-8
 *     piece length        v1: > 0; v2: a power of two >= 16 KiB
 *     pieces              v1: n * 20 bytes of SHA-1, n = ceil(size / plen)
 *     length | files      v1 single file | list of {length, path[, attr]}
 *     meta version = 2    v2; with `pieces` as well, a hybrid
 *     file tree           v2: {component: {component: {"": {length,
 *                         pieces root, attr}}}}, files in dict order
 *     private             non-zero: trackers only (BEP 27)
 *
 * Outside it: `announce`, `announce-list` (a list of tiers, each a list
 * of URLs; when present it replaces `announce`, BEP 12), `url-list` and
 * `httpseeds` (each one URL or a list).
 *
 * Pad files (BEP 47, attr contains 'p') exist only in v1 `files`; hybrid
 * torrents use them to put every file of the v1 view on the piece
 * boundary the v2 view requires.  libtorrent requires the two views of a
 * hybrid to agree (same files, sizes and offsets) and so do we: a hybrid
 * whose views disagree is two different torrents under one info dict.
 *
 * Hostile input: every path component is checked ('.', '..', empty,
 * '/', NUL are rejected rather than sanitized: a monitor has no reason to
 * accept a torrent that tries directory traversal), the file tree walk is
 * depth-bounded, sizes are summed with overflow checks, and the tracker
 * and web seed lists are capped.  The token array is allocated once from
 * the input's size (a value takes at least two bytes), capped.
 */
#include "proto/metainfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/hash.h"
#include "proto/bencode.h"

/* Longest path or key echoed in an error message. */
#define SHOW_MAX 64
/* URLs looked at (duplicates included) before the rest are ignored. */
#define URL_SCAN_LIMIT (8 * SW_METAINFO_MAX_TRACKERS)
/* A bencoded value takes at least two bytes ("0:", "le"). */
#define MIN_VALUE_BYTES 2

/* A growable array of files while the v1 and v2 listings are built. */
struct flist {
	struct sw_metainfo_file *v;
	size_t n, cap;
};

struct parser {
	const struct sw_bencode_doc *doc;
	struct sw_errbuf *eb;
	struct sw_metainfo *m;
	uint32_t info;
	char path[SW_METAINFO_MAX_PATH_LEN + 1]; /* the file path being built */
	size_t path_len;
};

/* --- small helpers -------------------------------------------------------- */

static char *dupstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		if (n > 0)
			memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* A printable copy of s for an error message: '?' for odd bytes, cut short. */
static const char *show(char out[SHOW_MAX + 4], const char *s, size_t n)
{
	size_t i, k = n > SHOW_MAX ? SHOW_MAX : n;

	for (i = 0; i < k; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (n > k) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = 0;
	return out;
}

/* *total += v, failing when the sum passes INT64_MAX. */
static int add_size(struct parser *p, uint64_t *total, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX - *total)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "total size overflows 64 bits");
	*total += v;
	return SW_OK;
}

static uint64_t div_ceil(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static void flist_free(struct flist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Append a file; takes path (freed on failure). */
static int flist_push(struct parser *p, struct flist *l, char *path, uint64_t size, unsigned attr)
{
	if (path == NULL)
		return sw_errbuf_set(p->eb, SW_E_NOMEM, "out of memory");
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct sw_metainfo_file *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			free(path);
			return sw_errbuf_set(p->eb, SW_E_NOMEM, "out of memory");
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].path = path;
	l->v[l->n].size = size;
	l->v[l->n].attr = attr;
	l->n++;
	return SW_OK;
}

/* BEP 47 `attr` letters of the dict at idx; unknown letters are ignored. */
static unsigned parse_attr(const struct sw_bencode_doc *d, uint32_t idx)
{
	const uint8_t *s;
	size_t n;
	unsigned attr = 0;

	if (sw_bencode_dict_get_str(d, idx, "attr", &s, &n) != SW_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case 'p': attr |= SW_FILE_PAD; break;
		case 'x': attr |= SW_FILE_EXECUTABLE; break;
		case 'h': attr |= SW_FILE_HIDDEN; break;
		case 'l': attr |= SW_FILE_SYMLINK; break;
		default: break;
		}
	}
	return attr;
}

/* `length` of the dict at idx: present, an integer, not negative. */
static int get_length(struct parser *p, uint32_t idx, const char *where, int64_t *out)
{
	int rc = sw_bencode_dict_get_int(p->doc, idx, "length", out);

	if (rc == SW_E_NOT_FOUND)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "missing 'length' in %s", where);
	if (rc != SW_OK)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'length' in %s is not an integer",
		                     where);
	if (*out < 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'length' is negative in %s", where);
	return SW_OK;
}

/* --- paths ---------------------------------------------------------------- */

/* One path component, found in where: no traversal, no separators, no NUL. */
static int check_component(struct sw_errbuf *eb, const uint8_t *c, size_t n, const char *where)
{
	if (n == 0)
		return sw_errbuf_set(eb, SW_E_INVALID, "file path has an empty component in %s",
		                     where);
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "file path component '%.*s' is not allowed in %s", (int)n,
		                     (const char *)c, where);
	if (memchr(c, '/', n) != NULL)
		return sw_errbuf_set(eb, SW_E_INVALID, "file path component contains '/' in %s",
		                     where);
	if (memchr(c, 0, n) != NULL)
		return sw_errbuf_set(eb, SW_E_INVALID,
		                     "file path component contains a NUL byte in %s", where);
	return SW_OK;
}

/* Append component number depth (0-based), found in where, to p->path. */
static int push_component(struct parser *p, const uint8_t *c, size_t n, size_t depth,
                          const char *where)
{
	size_t sep = p->path_len > 0 ? 1 : 0;
	int rc;

	if (depth >= SW_METAINFO_MAX_PATH_DEPTH)
		return sw_errbuf_set(p->eb, SW_E_TOO_BIG,
		                     "file path deeper than %d components in %s",
		                     SW_METAINFO_MAX_PATH_DEPTH, where);
	rc = check_component(p->eb, c, n, where);
	if (rc != SW_OK)
		return rc;
	if (n + sep > SW_METAINFO_MAX_PATH_LEN - p->path_len)
		return sw_errbuf_set(p->eb, SW_E_TOO_BIG, "file path longer than %d bytes in %s",
		                     SW_METAINFO_MAX_PATH_LEN, where);
	if (sep)
		p->path[p->path_len++] = '/';
	memcpy(p->path + p->path_len, c, n);
	p->path_len += n;
	p->path[p->path_len] = 0;
	return SW_OK;
}

static void set_path_len(struct parser *p, size_t len)
{
	p->path_len = len;
	p->path[len] = 0;
}

/* --- v1: `length` or `files` ---------------------------------------------- */

/* Entry i of `files`: {length, path (or path.utf-8), attr}. */
static int v1_file(struct parser *p, uint32_t ent, size_t i, struct flist *out, uint64_t *total)
{
	const struct sw_bencode_doc *d = p->doc;
	char where[48];
	uint32_t path, c;
	unsigned attr;
	int64_t len;
	int rc;

	snprintf(where, sizeof(where), "'files' entry %zu", i);
	if (sw_bencode_type(d, ent) != SW_BENCODE_DICT)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s is not a dictionary", where);
	rc = get_length(p, ent, where, &len);
	if (rc != SW_OK)
		return rc;
	if (sw_bencode_dict_get_list(d, ent, "path.utf-8", &path) != SW_OK &&
	    sw_bencode_dict_get_list(d, ent, "path", &path) != SW_OK)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s has no 'path' list", where);
	if (d->tok[path].count == 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s has an empty 'path'", where);
	set_path_len(p, 0);
	c = sw_bencode_first(path);
	for (size_t k = 0; k < d->tok[path].count; k++, c = d->tok[c].next) {
		const uint8_t *s;
		size_t n;

		if (sw_bencode_get_str(d, c, &s, &n) != SW_OK)
			return sw_errbuf_set(p->eb, SW_E_INVALID,
			                     "%s has a 'path' component that is not a string",
			                     where);
		rc = push_component(p, s, n, k, where);
		if (rc != SW_OK)
			return rc;
	}
	attr = parse_attr(d, ent);
	if (attr & SW_FILE_SYMLINK)
		len = 0; /* a link holds no data (libtorrent) */
	rc = add_size(p, total, (uint64_t)len);
	if (rc != SW_OK)
		return rc;
	return flist_push(p, out, dupstr((const uint8_t *)p->path, p->path_len), (uint64_t)len,
	                  attr);
}

/* The single-file form: info `length`, the file is called `name`. */
static int v1_single(struct parser *p, struct flist *out, uint64_t *total)
{
	const char *name = p->m->name;
	unsigned attr = parse_attr(p->doc, p->info);
	int64_t len;
	int rc;

	rc = get_length(p, p->info, "the info dictionary", &len);
	if (rc != SW_OK)
		return rc;
	rc = check_component(p->eb, (const uint8_t *)name, strlen(name), "'name'");
	if (rc != SW_OK)
		return rc;
	if (attr & SW_FILE_SYMLINK)
		len = 0;
	*total = (uint64_t)len;
	return flist_push(p, out, dupstr((const uint8_t *)name, strlen(name)), (uint64_t)len, attr);
}

static int parse_v1(struct parser *p, struct flist *out, uint64_t *total)
{
	const struct sw_bencode_doc *d = p->doc;
	const uint8_t *pieces;
	size_t npieces, i = 0;
	int64_t files = sw_bencode_dict_find(d, p->info, "files");
	int rc;

	if (sw_bencode_dict_get_str(d, p->info, "pieces", &pieces, &npieces) != SW_OK)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'pieces' is not a string");
	if (npieces % SW_SHA1_PIECE_HASH_LEN != 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'pieces' length is not a multiple of %d",
		                     SW_SHA1_PIECE_HASH_LEN);
	npieces /= SW_SHA1_PIECE_HASH_LEN;
	if (files < 0) {
		rc = v1_single(p, out, total);
	} else if (sw_bencode_type(d, (uint32_t)files) != SW_BENCODE_LIST) {
		rc = sw_errbuf_set(p->eb, SW_E_INVALID, "'files' is not a list");
	} else if (d->tok[(uint32_t)files].count == 0) {
		rc = sw_errbuf_set(p->eb, SW_E_INVALID, "'files' is empty");
	} else {
		uint32_t f = sw_bencode_first((uint32_t)files);

		rc = SW_OK;
		for (; rc == SW_OK && i < d->tok[(uint32_t)files].count; i++, f = d->tok[f].next)
			rc = v1_file(p, f, i, out, total);
	}
	if (rc != SW_OK)
		return rc;
	if (*total == 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "torrent holds no data (total size 0)");
	p->m->num_pieces = div_ceil(*total, p->m->piece_length);
	if (p->m->num_pieces != npieces)
		return sw_errbuf_set(p->eb, SW_E_INVALID,
		                     "'pieces' holds %zu hashes but %llu bytes in pieces of %llu "
		                     "need %llu",
		                     npieces, (unsigned long long)*total,
		                     (unsigned long long)p->m->piece_length,
		                     (unsigned long long)p->m->num_pieces);
	/* Kept for proving a peer (download a piece, check its hash). */
	p->m->piece_hashes = malloc(npieces * SW_SHA1_PIECE_HASH_LEN);
	if (p->m->piece_hashes == NULL)
		return SW_E_NOMEM;
	memcpy(p->m->piece_hashes, pieces, npieces * SW_SHA1_PIECE_HASH_LEN);
	return SW_OK;
}

/* --- v2: `file tree` ------------------------------------------------------- */

/* The "" dict of the file at p->path: {length, pieces root, attr}. */
static int v2_file(struct parser *p, uint32_t ent, struct flist *out, uint64_t *content)
{
	const struct sw_bencode_doc *d = p->doc;
	char shown[SHOW_MAX + 4], where[SHOW_MAX + 16];
	const uint8_t *root;
	size_t rootlen;
	unsigned attr;
	int64_t len;
	int rc;

	snprintf(where, sizeof(where), "file '%s'", show(shown, p->path, p->path_len));
	if (sw_bencode_type(d, ent) != SW_BENCODE_DICT)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s in 'file tree' is not a dictionary",
		                     where);
	rc = get_length(p, ent, where, &len);
	if (rc != SW_OK)
		return rc;
	attr = parse_attr(d, ent);
	if (attr & SW_FILE_PAD)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s in 'file tree' is a pad file", where);
	if (attr & SW_FILE_SYMLINK)
		len = 0;
	else if (len > 0 &&
	         (sw_bencode_dict_get_str(d, ent, "pieces root", &root, &rootlen) != SW_OK ||
	          rootlen != SW_SHA256_LEN))
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s has no valid 'pieces root'", where);
	rc = add_size(p, content, (uint64_t)len);
	if (rc != SW_OK)
		return rc;
	return flist_push(p, out, dupstr((const uint8_t *)p->path, p->path_len), (uint64_t)len,
	                  attr);
}

/*
 * Walk one directory of the file tree, in dict order (BEP 52).  A value
 * holding the key "" is a file and has no siblings; any other value is a
 * directory.  Recursion is bounded by SW_METAINFO_MAX_PATH_DEPTH.
 */
static int walk_dir(struct parser *p, uint32_t dir, size_t depth, struct flist *out,
                    uint64_t *content)
{
	const struct sw_bencode_doc *d = p->doc;
	size_t saved = p->path_len;
	uint32_t k = sw_bencode_first(dir);
	char shown[SHOW_MAX + 4];
	int rc = SW_OK;

	for (uint32_t i = 0; i < d->tok[dir].count; i++) {
		uint32_t v = d->tok[k].next;
		const uint8_t *key;
		size_t keylen;
		int64_t file;

		(void)sw_bencode_get_str(d, k, &key, &keylen); /* keys are strings */
		if (keylen == 0 && depth == 0) {
			rc = sw_errbuf_set(p->eb, SW_E_INVALID,
			                   "'file tree' root must not be a file");
			goto out;
		}
		rc = push_component(p, key, keylen, depth, "'file tree'");
		if (rc != SW_OK)
			goto out;
		if (sw_bencode_type(d, v) != SW_BENCODE_DICT) {
			rc = sw_errbuf_set(p->eb, SW_E_INVALID,
			                   "'file tree' entry '%s' is not a dictionary",
			                   show(shown, p->path, p->path_len));
			goto out;
		}
		file = sw_bencode_dict_findn(d, v, "", 0);
		if (file >= 0 && d->tok[v].count != 1)
			rc = sw_errbuf_set(p->eb, SW_E_INVALID,
			                   "file '%s' has sibling entries in 'file tree'",
			                   show(shown, p->path, p->path_len));
		else if (file >= 0)
			rc = v2_file(p, (uint32_t)file, out, content);
		else
			rc = walk_dir(p, v, depth + 1, out, content);
		if (rc != SW_OK)
			goto out;
		set_path_len(p, saved);
		k = d->tok[v].next;
	}
out:
	set_path_len(p, saved);
	return rc;
}

/* Walk the tree; *pieces = sum over files of ceil(length / piece length). */
static int parse_v2(struct parser *p, uint32_t tree, struct flist *out, uint64_t *pieces)
{
	uint64_t content = 0, plen = p->m->piece_length;
	int rc;

	set_path_len(p, 0);
	rc = walk_dir(p, tree, 0, out, &content);
	if (rc != SW_OK)
		return rc;
	if (content == 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "torrent holds no data (total size 0)");
	*pieces = 0;
	for (size_t i = 0; i < out->n; i++)
		*pieces += div_ceil(out->v[i].size, plen);
	if (*pieces > (uint64_t)INT64_MAX / plen)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "total size overflows 64 bits");
	return SW_OK;
}

/*
 * A hybrid's two views must describe the same files: the v1 list minus
 * its pad files equals the v2 list in order, path and size, and every
 * non-empty file starts at the same offset (v2 puts each on a piece
 * boundary; v1 gets there with pads).  Trailing pads after the last file
 * are optional, as in libtorrent.
 */
static int check_hybrid(struct parser *p, const struct flist *v1, const struct flist *v2,
                        uint64_t v2_pieces)
{
	uint64_t off1 = 0, off2 = 0, plen = p->m->piece_length;
	char shown[SHOW_MAX + 4];
	size_t j = 0;

	for (size_t i = 0; i < v1->n; i++) {
		const struct sw_metainfo_file *a = &v1->v[i], *b = j < v2->n ? &v2->v[j] : NULL;

		if (a->attr & SW_FILE_PAD) {
			off1 += a->size;
			continue;
		}
		if (b == NULL || strcmp(a->path, b->path) != 0 || a->size != b->size ||
		    (a->size > 0 && off1 != off2))
			return sw_errbuf_set(p->eb, SW_E_INVALID,
			                     "hybrid torrent: v1 'files' and v2 'file tree' "
			                     "disagree at '%s'",
			                     show(shown, a->path, strlen(a->path)));
		off1 += a->size;
		off2 += div_ceil(b->size, plen) * plen;
		j++;
	}
	if (j != v2->n)
		return sw_errbuf_set(p->eb, SW_E_INVALID,
		                     "hybrid torrent: v2 'file tree' has %zu files, v1 'files' %zu",
		                     v2->n, j);
	if (v2_pieces != p->m->num_pieces)
		return sw_errbuf_set(
		    p->eb, SW_E_INVALID, "hybrid torrent: v1 has %llu pieces, v2 %llu",
		    (unsigned long long)p->m->num_pieces, (unsigned long long)v2_pieces);
	return SW_OK;
}

/* --- the info dict ------------------------------------------------------- */

/* `name.utf-8` when it is a non-empty string (libtorrent), else `name`. */
static int parse_name(struct parser *p)
{
	const uint8_t *s;
	size_t n;

	if ((sw_bencode_dict_get_str(p->doc, p->info, "name.utf-8", &s, &n) != SW_OK || n == 0) &&
	    sw_bencode_dict_get_str(p->doc, p->info, "name", &s, &n) != SW_OK)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "%s",
		                     sw_bencode_dict_find(p->doc, p->info, "name") < 0
		                         ? "missing 'name'"
		                         : "'name' is not a string");
	if (n == 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'name' is empty");
	if (memchr(s, 0, n) != NULL)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'name' contains a NUL byte");
	p->m->name = dupstr(s, n);
	if (p->m->name == NULL)
		return sw_errbuf_set(p->eb, SW_E_NOMEM, "out of memory");
	return SW_OK;
}

/* Decide v1 / v2 / hybrid; *tree is the `file tree` for v2. */
static int parse_version(struct parser *p, uint32_t *tree)
{
	const struct sw_bencode_doc *d = p->doc;
	int64_t mv = sw_bencode_dict_find(d, p->info, "meta version");
	int64_t ft = sw_bencode_dict_find(d, p->info, "file tree");
	int64_t v;

	p->m->has_v1 = sw_bencode_dict_find(d, p->info, "pieces") >= 0;
	if (mv < 0) {
		if (ft >= 0)
			return sw_errbuf_set(p->eb, SW_E_INVALID,
			                     "'file tree' present without 'meta version' 2");
		if (!p->m->has_v1)
			return sw_errbuf_set(p->eb, SW_E_INVALID, "missing 'pieces'");
		return SW_OK;
	}
	if (sw_bencode_get_int(d, (uint32_t)mv, &v) != SW_OK)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'meta version' is not an integer");
	if (v != 2)
		return sw_errbuf_set(p->eb, SW_E_UNSUPPORTED, "unsupported 'meta version' %lld",
		                     (long long)v);
	if (ft < 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "missing 'file tree'");
	if (sw_bencode_type(d, (uint32_t)ft) != SW_BENCODE_DICT)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'file tree' is not a dictionary");
	*tree = (uint32_t)ft;
	p->m->has_v2 = true;
	return SW_OK;
}

static int parse_piece_length(struct parser *p)
{
	int64_t v;

	if (sw_bencode_dict_get_int(p->doc, p->info, "piece length", &v) != SW_OK || v <= 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID,
		                     "'piece length' is not a positive integer");
	if (p->m->has_v2 && (v < (int64_t)SW_V2_MIN_PIECE_LEN || (v & (v - 1)) != 0))
		return sw_errbuf_set(p->eb, SW_E_INVALID,
		                     "'piece length' %lld is not a power of two of at least %u "
		                     "(BEP 52)",
		                     (long long)v, SW_V2_MIN_PIECE_LEN);
	p->m->piece_length = (uint64_t)v;
	return SW_OK;
}

/* Move the real files of src (pads dropped) into m->files. */
static void take_listing(struct sw_metainfo *m, struct flist *src)
{
	size_t j = 0;

	for (size_t i = 0; i < src->n; i++) {
		if (src->v[i].attr & SW_FILE_PAD) {
			free(src->v[i].path);
			continue;
		}
		m->content_size += src->v[i].size;
		src->v[j++] = src->v[i];
	}
	m->files = j > 0 ? src->v : NULL;
	m->num_files = j;
	if (j == 0)
		free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

/*
 * A v2-only torrent whose tree is one file at the root is a single-file
 * torrent, and libtorrent names it after that file, not `name`.
 */
static int v2_single_name(struct parser *p, const struct flist *v2)
{
	char *name;

	if (p->m->has_v1 || v2->n != 1 || strchr(v2->v[0].path, '/') != NULL)
		return SW_OK;
	name = dupstr((const uint8_t *)v2->v[0].path, strlen(v2->v[0].path));
	if (name == NULL)
		return sw_errbuf_set(p->eb, SW_E_NOMEM, "out of memory");
	free(p->m->name);
	p->m->name = name;
	return SW_OK;
}

static int parse_info(struct parser *p)
{
	struct sw_metainfo *m = p->m;
	struct flist v1 = {0}, v2 = {0};
	uint64_t v1_total = 0, v2_pieces = 0;
	uint32_t tree = 0;
	int64_t priv;
	int rc;

	rc = parse_name(p);
	if (rc == SW_OK)
		rc = parse_version(p, &tree);
	if (rc == SW_OK)
		rc = parse_piece_length(p);
	if (rc == SW_OK && m->has_v1)
		rc = parse_v1(p, &v1, &v1_total);
	if (rc == SW_OK && m->has_v2)
		rc = parse_v2(p, tree, &v2, &v2_pieces);
	if (rc == SW_OK && m->has_v1 && m->has_v2)
		rc = check_hybrid(p, &v1, &v2, v2_pieces);
	if (rc == SW_OK && m->has_v2)
		rc = v2_single_name(p, &v2);
	if (rc != SW_OK)
		goto out;
	if (m->has_v1) {
		m->total_size = v1_total;
	} else {
		m->num_pieces = v2_pieces;
		m->total_size = v2_pieces * m->piece_length;
	}
	m->is_private =
	    sw_bencode_dict_get_int(p->doc, p->info, "private", &priv) == SW_OK && priv != 0;
	take_listing(m, m->has_v2 ? &v2 : &v1);
out:
	flist_free(&v1);
	flist_free(&v2);
	return rc;
}

/* --- trackers and web seeds ------------------------------------------------ */

static bool in_list(char *const *v, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i]) == len && memcmp(v[i], s, len) == 0)
			return true;
	return false;
}

static bool tracker_known(const struct sw_metainfo *m, const struct sw_metainfo_tier *cur,
                          const char *s, size_t len)
{
	for (size_t t = 0; t < m->num_tiers; t++)
		if (in_list(m->tiers[t].urls, m->tiers[t].num_urls, s, len))
			return true;
	return in_list(cur->urls, cur->num_urls, s, len);
}

/* The string at idx with surrounding whitespace cut; false if unusable. */
static bool url_at(const struct sw_bencode_doc *d, uint32_t idx, const char **s, size_t *len)
{
	const uint8_t *p;
	size_t n;

	if (sw_bencode_get_str(d, idx, &p, &n) != SW_OK)
		return false;
	while (n > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n'))
		p++, n--;
	while (n > 0 &&
	       (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	*s = (const char *)p;
	*len = n;
	return n > 0 && memchr(p, 0, n) == NULL;
}

/* Append a copy of s to the array *v of *n strings. */
static int push_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return SW_E_NOMEM;
	*v = nv;
	nv[*n] = dupstr((const uint8_t *)s, len);
	if (nv[*n] == NULL)
		return SW_E_NOMEM;
	(*n)++;
	return SW_OK;
}

/* Add the URLs of one tier (a list, or a lone string for `announce`). */
static int add_tier(struct parser *p, uint32_t idx, size_t *kept, size_t *scanned)
{
	const struct sw_bencode_doc *d = p->doc;
	struct sw_metainfo *m = p->m;
	struct sw_metainfo_tier tier = {0}, *nt;
	bool list = sw_bencode_type(d, idx) == SW_BENCODE_LIST;
	uint32_t n = list ? d->tok[idx].count : 1, u = list ? sw_bencode_first(idx) : idx;
	int rc = SW_OK;

	for (uint32_t i = 0; i < n && *kept < SW_METAINFO_MAX_TRACKERS && *scanned < URL_SCAN_LIMIT;
	     i++, u = d->tok[u].next) {
		const char *s;
		size_t len;

		(*scanned)++;
		if (!url_at(d, u, &s, &len) || tracker_known(m, &tier, s, len))
			continue;
		rc = push_str(&tier.urls, &tier.num_urls, s, len);
		if (rc != SW_OK)
			goto out;
		(*kept)++;
	}
	if (tier.num_urls == 0)
		goto out;
	nt = realloc(m->tiers, (m->num_tiers + 1) * sizeof(*nt));
	if (nt == NULL) {
		rc = SW_E_NOMEM;
		goto out;
	}
	m->tiers = nt;
	nt[m->num_tiers++] = tier;
	tier.urls = NULL;
	tier.num_urls = 0;
out:
	for (size_t i = 0; i < tier.num_urls; i++)
		free(tier.urls[i]);
	free(tier.urls);
	return rc == SW_OK ? rc : sw_errbuf_set(p->eb, rc, "out of memory");
}

static int parse_trackers(struct parser *p)
{
	const struct sw_bencode_doc *d = p->doc;
	size_t kept = 0, scanned = 0;
	uint32_t list, t;
	int64_t ann;
	int rc = SW_OK;

	if (sw_bencode_dict_get_list(d, 0, "announce-list", &list) == SW_OK) {
		t = sw_bencode_first(list);
		for (uint32_t i = 0; rc == SW_OK && i < d->tok[list].count; i++, t = d->tok[t].next)
			if (sw_bencode_type(d, t) == SW_BENCODE_LIST)
				rc = add_tier(p, t, &kept, &scanned);
	}
	if (rc != SW_OK || p->m->num_tiers > 0)
		return rc;
	ann = sw_bencode_dict_find(d, 0, "announce");
	if (ann >= 0 && sw_bencode_type(d, (uint32_t)ann) == SW_BENCODE_STR)
		rc = add_tier(p, (uint32_t)ann, &kept, &scanned);
	return rc;
}

/*
 * Seeds under key: one URL string or a list of them, into *v / *n.
 * `url-list` (BEP 19 web seeds) and `httpseeds` (BEP 17) are kept apart:
 * they speak different protocols, though libtorrent lists both.
 */
static int parse_seeds(struct parser *p, const char *key, char ***v, size_t *n)
{
	const struct sw_bencode_doc *d = p->doc;
	int64_t ul = sw_bencode_dict_find(d, 0, key);
	uint32_t count, u;
	bool list;

	if (ul < 0)
		return SW_OK;
	list = sw_bencode_type(d, (uint32_t)ul) == SW_BENCODE_LIST;
	count = list ? d->tok[(uint32_t)ul].count : 1;
	u = list ? sw_bencode_first((uint32_t)ul) : (uint32_t)ul;
	for (uint32_t i = 0; i < count && i < URL_SCAN_LIMIT && *n < SW_METAINFO_MAX_WEB_SEEDS;
	     i++, u = d->tok[u].next) {
		const char *s;
		size_t len;

		if (!url_at(d, u, &s, &len) || in_list(*v, *n, s, len))
			continue;
		if (push_str(v, n, s, len) != SW_OK)
			return sw_errbuf_set(p->eb, SW_E_NOMEM, "out of memory");
	}
	return SW_OK;
}

/* --- public --------------------------------------------------------------- */

/* Decode, find the info dict, hash its bytes. */
static int parse_doc(struct parser *p)
{
	const struct sw_bencode_doc *d = p->doc;
	const uint8_t *span;
	size_t spanlen;
	int64_t info;
	int rc;

	if (sw_bencode_type(d, 0) != SW_BENCODE_DICT)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "torrent is not a bencoded dictionary");
	info = sw_bencode_dict_find(d, 0, "info");
	if (info < 0)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "missing 'info'");
	if (sw_bencode_type(d, (uint32_t)info) != SW_BENCODE_DICT)
		return sw_errbuf_set(p->eb, SW_E_INVALID, "'info' is not a dictionary");
	p->info = (uint32_t)info;
	rc = parse_info(p);
	if (rc == SW_OK)
		rc = parse_trackers(p);
	if (rc == SW_OK)
		rc = parse_seeds(p, "url-list", &p->m->web_seeds, &p->m->num_web_seeds);
	if (rc == SW_OK)
		rc = parse_seeds(p, "httpseeds", &p->m->http_seeds, &p->m->num_http_seeds);
	if (rc != SW_OK)
		return rc;
	sw_bencode_span(d, p->info, &span, &spanlen);
	if ((p->m->has_v1 && sw_sha1(span, spanlen, p->m->infohash_v1) != SW_OK) ||
	    (p->m->has_v2 && sw_sha256(span, spanlen, p->m->infohash_v2) != SW_OK))
		return sw_errbuf_set(p->eb, SW_E_NOMEM, "hashing the info dictionary failed");
	return SW_OK;
}

int sw_metainfo_parse(const uint8_t *buf, size_t len, struct sw_metainfo **out,
                      struct sw_errbuf *eb)
{
	struct sw_bencode_error berr = {0, 0, NULL};
	struct sw_bencode_token *tok = NULL;
	struct sw_bencode_doc doc;
	struct parser *p = NULL;
	size_t ntok = len / MIN_VALUE_BYTES + 1;
	int rc;

	*out = NULL;
	if (len > SW_METAINFO_MAX_SIZE)
		return sw_errbuf_set(eb, SW_E_TOO_BIG,
		                     "torrent is %zu bytes, more than the %lu limit", len,
		                     (unsigned long)SW_METAINFO_MAX_SIZE);
	if (ntok > SW_METAINFO_MAX_TOKENS)
		ntok = SW_METAINFO_MAX_TOKENS;
	tok = malloc(ntok * sizeof(*tok));
	p = calloc(1, sizeof(*p));
	if (tok == NULL || p == NULL || (p->m = calloc(1, sizeof(*p->m))) == NULL) {
		rc = sw_errbuf_set(eb, SW_E_NOMEM, "out of memory");
		goto out;
	}
	rc = sw_bencode_decode(buf, len, tok, ntok, 0, &doc, &berr);
	if (rc != SW_OK) {
		sw_errbuf_set(eb, rc, "invalid bencode at byte %zu: %s", berr.offset,
		              berr.what != NULL ? berr.what : sw_strerror(rc));
		goto out;
	}
	p->doc = &doc;
	p->eb = eb;
	rc = parse_doc(p);
	if (rc == SW_OK) {
		*out = p->m;
		p->m = NULL;
	}
out:
	if (p != NULL)
		sw_metainfo_free(p->m);
	free(p);
	free(tok);
	return rc;
}

void sw_metainfo_free(struct sw_metainfo *m)
{
	if (m == NULL)
		return;
	free(m->name);
	free(m->piece_hashes);
	for (size_t i = 0; i < m->num_files; i++)
		free(m->files[i].path);
	free(m->files);
	for (size_t t = 0; t < m->num_tiers; t++) {
		for (size_t i = 0; i < m->tiers[t].num_urls; i++)
			free(m->tiers[t].urls[i]);
		free(m->tiers[t].urls);
	}
	free(m->tiers);
	for (size_t i = 0; i < m->num_web_seeds; i++)
		free(m->web_seeds[i]);
	free(m->web_seeds);
	for (size_t i = 0; i < m->num_http_seeds; i++)
		free(m->http_seeds[i]);
	free(m->http_seeds);
	free(m);
}

void sw_metainfo_swarm_id(const struct sw_metainfo *m, uint8_t out[SW_INFOHASH_LEN])
{
	memcpy(out, m->has_v1 ? m->infohash_v1 : m->infohash_v2, SW_INFOHASH_LEN);
}

int sw_metainfo_parse_info(const uint8_t *info, size_t len, struct sw_metainfo **out,
                           struct sw_errbuf *eb)
{
	struct sw_buf t;
	int rc;

	*out = NULL;
	sw_buf_init(&t, len + 16);
	if (sw_buf_puts(&t, "d4:info") || sw_buf_append(&t, info, len) || sw_buf_putc(&t, 'e')) {
		sw_buf_deinit(&t);
		return sw_errbuf_set(eb, SW_E_NOMEM, "metadata: out of memory");
	}
	rc = sw_metainfo_parse(t.data, t.len, out, eb);
	sw_buf_deinit(&t);
	return rc;
}
