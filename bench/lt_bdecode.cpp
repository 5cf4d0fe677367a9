/*
 * lt_bdecode.cpp - libtorrent's side of the bencode decode benchmark:
 * lt::bdecode() from Debian's libtorrent-rasterbar 2.0.8, the anchor
 * swarmwatch's decoder is measured against.  bench.c (C) does the rest.
 *
 * One lt::bdecode_node is reused for every message, through the overload
 * that takes it by reference.  In 2.0.8 that overload is a wrapper:
 * it calls bdecode(span, ...) and move-assigns the fresh node into ret
 * (disassemble libtorrent::bdecode(char const*, ...) to see it), so the
 * node's token vector is rebuilt for every message and libtorrent's
 * allocations per message are a property of its API, not of this
 * harness.  Limits are libtorrent's defaults (depth 100, 2,000,000 tokens).
 */
#include <cstdio>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/error_code.hpp>

#include "bench.h"

namespace
{

lt::bdecode_node node;

int prepare(const bench_set *)
{
	return 0;
}

size_t pass(const bench_set *s, uint64_t *sink)
{
	lt::error_code ec;
	int pos = 0;
	size_t bad = 0;

	for (size_t i = 0; i < s->n; i++) {
		const char *p = reinterpret_cast<const char *>(s->msg[i].data);

		if (lt::bdecode(p, p + s->msg[i].len, node, ec, &pos, 100, 2000000) != 0) {
			bad++;
			continue;
		}
		// Touch the result: the root's type and extent.
		*sink += static_cast<uint64_t>(node.type()) +
		         static_cast<uint64_t>(node.data_section().size());
	}
	return bad;
}

void explain(const bench_set *s, size_t i)
{
	lt::error_code ec;
	int pos = 0;
	const char *p = reinterpret_cast<const char *>(s->msg[i].data);

	lt::bdecode(p, p + s->msg[i].len, node, ec, &pos, 100, 2000000);
	std::fprintf(stderr, "lt_bdecode: %s message %zu: %s at byte %d\n", s->name, i,
	             ec.message().c_str(), pos);
}

} // namespace

int main(int argc, char **argv)
{
	static const bench_side side = {"libtorrent", prepare, pass, explain};

	return bench_main(argc, argv, &side);
}
