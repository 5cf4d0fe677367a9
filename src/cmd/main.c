/*
 * main.c - the swarmwatch command: global options and subcommand dispatch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"info", sw_cmd_info, "show what a .torrent file or magnet link describes"},
	{"count", sw_cmd_count, "count the unique IPs in one swarm, by evidence tier"},
	{"crawl", sw_cmd_crawl, "discover infohashes in the DHT (BEP 51) and fetch their names"},
	{"report", sw_cmd_report, "unique IPs per title from a store: table, CSV, JSON, HTML"},
	{"serve", sw_cmd_serve, "the report as a live page, a JSON API and /metrics"},
	{"match", sw_cmd_match, "tell which watched title each release name is, and why"},
	{"feed", sw_cmd_feed, "poll RSS / Torznab feeds and print their new items"},
	{"watch", sw_cmd_watch, "the daemon: find the watchlist's torrents, monitor their swarms"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: swarmwatch [--help] [--version] COMMAND [ARGS...]\n"
	      "\n"
	      "Monitor BitTorrent swarms and count unique IP addresses per title,\n"
	      "by evidence tier (seen, connectable, verified).\n"
	      "\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Run 'swarmwatch COMMAND --help' for a command's options.\n"
	      "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad input.\n",
	      f);
}

int sw_cmd_write_out(FILE *f, const void *s, size_t n)
{
	if (fwrite(s, 1, n, f) != n || fflush(f) != 0) {
		fprintf(stderr, "swarmwatch: write error: %s\n", strerror(errno));
		return SW_EXIT_FAILURE;
	}
	return SW_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return SW_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("swarmwatch %s\n", SW_VERSION);
		return SW_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "swarmwatch: unknown command '%s' (see 'swarmwatch --help')\n", argv[1]);
	return SW_EXIT_USAGE;
}
