/*
 * bench_bencode.c - swarmwatch's side of the bencode decode benchmark:
 * sw_bencode_decode() into one token array reused for every message.
 * The other side is lt_bdecode.cpp; bench.c does the rest for both.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "core/error.h"
#include "proto/bencode.h"

static struct sw_bencode_token *tok;
static size_t max_tok;

/* Every token spans at least 2 input bytes ("le", "0:"), so len/2 + 1
 * tokens always suffice: size the array once for the longest message. */
static int prepare(const struct bench_set *s)
{
	size_t need = s->max_len / 2 + 1;

	if (need <= max_tok)
		return 0;
	free(tok);
	tok = calloc(need, sizeof(*tok));
	if (tok == NULL) {
		fprintf(stderr, "bench_bencode: out of memory\n");
		return -1;
	}
	max_tok = need;
	return 0;
}

static size_t pass(const struct bench_set *s, uint64_t *sink)
{
	struct sw_bencode_doc doc;
	size_t bad = 0;

	for (size_t i = 0; i < s->n; i++) {
		int rc =
		    sw_bencode_decode(s->msg[i].data, s->msg[i].len, tok, max_tok, 0, &doc, NULL);

		if (rc != SW_OK) {
			bad++;
			continue;
		}
		/* Touch the result: the root's type and extent. */
		*sink += doc.tok[0].type + doc.tok[0].end;
	}
	return bad;
}

static void explain(const struct bench_set *s, size_t i)
{
	struct sw_bencode_doc doc;
	struct sw_bencode_error err = {0, 0, ""};

	sw_bencode_decode(s->msg[i].data, s->msg[i].len, tok, max_tok, 0, &doc, &err);
	fprintf(stderr, "bench_bencode: %s message %zu: %s at byte %zu\n", s->name, i, err.what,
	        err.offset);
}

int main(int argc, char **argv)
{
	static const struct bench_side side = {"swarmwatch", prepare, pass, explain};
	int rc = bench_main(argc, argv, &side);

	free(tok);
	return rc;
}
