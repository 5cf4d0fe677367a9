/*
 * info.c - `swarmwatch info [--json] TORRENT_FILE|MAGNET`: what a torrent is.
 *
 * Both inputs are reduced to one view (struct view) so that the JSON and
 * the readable summary are written once: a magnet simply has no sizes,
 * pieces or files.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/json.h"
#include "proto/magnet.h"
#include "proto/metainfo.h"

/* Everything `info` prints, borrowed from a metainfo or a magnet. */
struct view {
	const char *name; /* NULL when unknown (a magnet without dn) */
	bool has_v1, has_v2;
	const uint8_t *ih_v1, *ih_v2;
	bool has_sizes; /* total_size, piece_length, num_pieces known */
	uint64_t total_size, content_size, piece_length, num_pieces;
	bool is_private;
	const struct sw_metainfo_file *files;
	size_t num_files;
	const struct sw_metainfo_tier *tiers; /* torrent: tiers */
	size_t num_tiers;
	char *const *magnet_trackers; /* magnet: each `tr` is its own tier */
	size_t num_magnet_trackers;
	char *const *web_seeds;
	size_t num_web_seeds;
};

static void usage(FILE *f)
{
	fputs("usage: swarmwatch info [--json] TORRENT_FILE|MAGNET\n"
	      "\n"
	      "Show what a .torrent file or a magnet link describes: infohashes (v1\n"
	      "SHA-1, v2 SHA-256), name, sizes, pieces, files and trackers.\n"
	      "\n"
	      "  --json      print one JSON object instead of a summary\n"
	      "  -h, --help  show this help\n",
	      f);
}

static void view_swarm_id(const struct view *v, char hex[2 * SW_INFOHASH_LEN + 1])
{
	sw_hex_encode(v->has_v1 ? v->ih_v1 : v->ih_v2, SW_INFOHASH_LEN, hex);
}

static void json_hash(struct sw_json *j, bool has, const uint8_t *h, size_t n)
{
	char hex[2 * SW_INFOHASH_V2_LEN + 1];

	if (!has) {
		sw_json_null(j);
		return;
	}
	sw_hex_encode(h, n, hex);
	sw_json_str(j, hex);
}

static void json_trackers(struct sw_json *j, const struct view *v)
{
	sw_json_arr_begin(j);
	for (size_t t = 0; t < v->num_tiers; t++) {
		sw_json_arr_begin(j);
		for (size_t u = 0; u < v->tiers[t].num_urls; u++)
			sw_json_str(j, v->tiers[t].urls[u]);
		sw_json_arr_end(j);
	}
	for (size_t u = 0; u < v->num_magnet_trackers; u++) {
		sw_json_arr_begin(j);
		sw_json_str(j, v->magnet_trackers[u]);
		sw_json_arr_end(j);
	}
	sw_json_arr_end(j);
}

static void json_size(struct sw_json *j, bool known, uint64_t n)
{
	if (known)
		sw_json_uint(j, n);
	else
		sw_json_null(j);
}

static int print_json(const struct view *v)
{
	struct sw_buf out;
	struct sw_json j;
	char hex[2 * SW_INFOHASH_LEN + 1];
	int rc;

	sw_buf_init(&out, SIZE_MAX / 2);
	sw_json_init(&j, &out);
	sw_json_obj_begin(&j);
	view_swarm_id(v, hex);
	sw_json_key(&j, "infohash");
	sw_json_str(&j, hex);
	sw_json_key(&j, "infohash_v1");
	json_hash(&j, v->has_v1, v->ih_v1, SW_INFOHASH_LEN);
	sw_json_key(&j, "infohash_v2");
	json_hash(&j, v->has_v2, v->ih_v2, SW_INFOHASH_V2_LEN);
	sw_json_key(&j, "name");
	sw_json_str(&j, v->name);
	sw_json_key(&j, "total_size");
	json_size(&j, v->has_sizes, v->total_size);
	sw_json_key(&j, "piece_length");
	json_size(&j, v->has_sizes, v->piece_length);
	sw_json_key(&j, "num_pieces");
	json_size(&j, v->has_sizes, v->num_pieces);
	sw_json_key(&j, "private");
	sw_json_bool(&j, v->is_private);
	sw_json_key(&j, "files");
	sw_json_arr_begin(&j);
	for (size_t i = 0; i < v->num_files; i++) {
		sw_json_obj_begin(&j);
		sw_json_key(&j, "path");
		sw_json_str(&j, v->files[i].path);
		sw_json_key(&j, "size");
		sw_json_uint(&j, v->files[i].size);
		sw_json_obj_end(&j);
	}
	sw_json_arr_end(&j);
	sw_json_key(&j, "trackers");
	json_trackers(&j, v);
	sw_json_obj_end(&j);
	rc = sw_json_error(&j);
	if (rc == 0)
		rc = sw_buf_putc(&out, '\n');
	if (rc) {
		fprintf(stderr, "swarmwatch: info: %s\n", sw_strerror(rc));
		sw_buf_deinit(&out);
		return SW_EXIT_FAILURE;
	}
	rc = sw_cmd_write_out(stdout, out.data, out.len);
	sw_buf_deinit(&out);
	return rc;
}

/* "1.5 GiB" for people; exact bytes are printed beside it. */
static void human_size(uint64_t n, char *out, size_t outlen)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)n;
	size_t u = 0;

	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%" PRIu64 " B", n);
	else if (d == (double)(uint64_t)d)
		snprintf(out, outlen, "%.0f %s", d, units[u]);
	else
		snprintf(out, outlen, "%.1f %s", d, units[u]);
}

static void print_summary(const struct view *v)
{
	char hex[2 * SW_INFOHASH_V2_LEN + 1], hs[32];
	const char *label = "trackers:";

	printf("name:         %s\n", v->name ? v->name : "(unknown)");
	view_swarm_id(v, hex);
	printf("infohash:     %s\n", hex);
	if (v->has_v1) {
		sw_hex_encode(v->ih_v1, SW_INFOHASH_LEN, hex);
		printf("infohash v1:  %s\n", hex);
	}
	if (v->has_v2) {
		sw_hex_encode(v->ih_v2, SW_INFOHASH_V2_LEN, hex);
		printf("infohash v2:  %s\n", hex);
	}
	printf("format:       %s\n", v->has_v1 && v->has_v2 ? "hybrid (v1 + v2)"
				     : v->has_v2		 ? "v2 (BEP 52)"
								 : "v1");
	if (v->has_sizes) {
		human_size(v->content_size, hs, sizeof(hs));
		printf("size:         %s (%" PRIu64 " bytes) in %zu file%s\n", hs,
		       v->content_size, v->num_files, v->num_files == 1 ? "" : "s");
		human_size(v->piece_length, hs, sizeof(hs));
		printf("pieces:       %" PRIu64 " x %s\n", v->num_pieces, hs);
		printf("private:      %s\n", v->is_private ? "yes" : "no");
	} else {
		printf("size:         unknown (magnet: metadata not fetched)\n");
	}
	for (size_t t = 0; t < v->num_tiers; t++) {
		for (size_t u = 0; u < v->tiers[t].num_urls; u++) {
			printf("%-13s tier %zu: %s\n", label, t + 1, v->tiers[t].urls[u]);
			label = "";
		}
	}
	for (size_t u = 0; u < v->num_magnet_trackers; u++) {
		printf("%-13s %s\n", label, v->magnet_trackers[u]);
		label = "";
	}
	for (size_t u = 0; u < v->num_web_seeds; u++)
		printf("%-13s %s\n", u == 0 ? "web seeds:" : "", v->web_seeds[u]);
	for (size_t i = 0; i < v->num_files; i++) {
		human_size(v->files[i].size, hs, sizeof(hs));
		printf("%-13s %10s  %s\n", i == 0 ? "files:" : "", hs, v->files[i].path);
	}
}

static int show(const struct view *v, bool json)
{
	if (json)
		return print_json(v);
	print_summary(v);
	return fflush(stdout) == 0 ? SW_EXIT_OK : SW_EXIT_FAILURE;
}

static int info_torrent(const char *path, bool json)
{
	struct sw_metainfo *m = NULL;
	struct sw_errbuf eb = {{0}};
	struct sw_buf in;
	struct view v;
	int rc, status;

	sw_buf_init(&in, (size_t)SW_METAINFO_MAX_SIZE + 1);
	rc = sw_buf_read_file(&in, path);
	if (rc) {
		if (rc == SW_E_TOO_BIG)
			fprintf(stderr, "swarmwatch: %s: file larger than %u bytes\n", path,
				(unsigned)SW_METAINFO_MAX_SIZE);
		else
			fprintf(stderr, "swarmwatch: %s: cannot read: %s\n", path,
				rc == SW_E_NOT_FOUND ? "no such file" : strerror(errno));
		sw_buf_deinit(&in);
		return rc == SW_E_NOMEM ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
	}
	rc = sw_metainfo_parse(in.data ? in.data : (const uint8_t *)"", in.len, &m, &eb);
	sw_buf_deinit(&in);
	if (rc) {
		fprintf(stderr, "swarmwatch: %s: %s\n", path, eb.msg[0] ? eb.msg : sw_strerror(rc));
		return rc == SW_E_NOMEM ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
	}
	memset(&v, 0, sizeof(v));
	v.name = m->name;
	v.has_v1 = m->has_v1;
	v.has_v2 = m->has_v2;
	v.ih_v1 = m->infohash_v1;
	v.ih_v2 = m->infohash_v2;
	v.has_sizes = true;
	v.total_size = m->total_size;
	v.content_size = m->content_size;
	v.piece_length = m->piece_length;
	v.num_pieces = m->num_pieces;
	v.is_private = m->is_private;
	v.files = m->files;
	v.num_files = m->num_files;
	v.tiers = m->tiers;
	v.num_tiers = m->num_tiers;
	v.web_seeds = m->web_seeds;
	v.num_web_seeds = m->num_web_seeds;
	status = show(&v, json);
	sw_metainfo_free(m);
	return status;
}

static int info_magnet(const char *uri, bool json)
{
	struct sw_magnet *m = NULL;
	struct sw_errbuf eb = {{0}};
	struct view v;
	int rc, status;

	rc = sw_magnet_parse(uri, strlen(uri), &m, &eb);
	if (rc) {
		fprintf(stderr, "swarmwatch: magnet: %s\n", eb.msg[0] ? eb.msg : sw_strerror(rc));
		return rc == SW_E_NOMEM ? SW_EXIT_FAILURE : SW_EXIT_USAGE;
	}
	memset(&v, 0, sizeof(v));
	v.name = m->name;
	v.has_v1 = m->has_v1;
	v.has_v2 = m->has_v2;
	v.ih_v1 = m->infohash_v1;
	v.ih_v2 = m->infohash_v2;
	v.magnet_trackers = m->trackers;
	v.num_magnet_trackers = m->num_trackers;
	status = show(&v, json);
	sw_magnet_free(m);
	return status;
}

int sw_cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': usage(stdout); return SW_EXIT_OK;
		default: usage(stderr); return SW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "swarmwatch: info: expected one TORRENT_FILE or MAGNET\n");
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (strncasecmp(argv[optind], "magnet:", 7) == 0)
		return info_magnet(argv[optind], json);
	return info_torrent(argv[optind], json);
}
