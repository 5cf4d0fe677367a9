/*
 * cmd.h - subcommands of the swarmwatch command line.
 *
 * Each subcommand takes its own argv (argv[0] is the subcommand's name)
 * and returns the process exit code: SW_EXIT_OK, SW_EXIT_FAILURE for a
 * runtime failure, SW_EXIT_USAGE for bad usage or bad input.
 */
#ifndef SW_CMD_H
#define SW_CMD_H

#include <stdio.h>

enum sw_exit { SW_EXIT_OK = 0, SW_EXIT_FAILURE = 1, SW_EXIT_USAGE = 2 };

int sw_cmd_info(int argc, char **argv);
int sw_cmd_count(int argc, char **argv);
int sw_cmd_crawl(int argc, char **argv);
int sw_cmd_report(int argc, char **argv);
int sw_cmd_serve(int argc, char **argv);
int sw_cmd_match(int argc, char **argv);
int sw_cmd_feed(int argc, char **argv);
int sw_cmd_watch(int argc, char **argv);

/* Write s to f in full; SW_EXIT_FAILURE if the write fails (e.g. EPIPE). */
int sw_cmd_write_out(FILE *f, const void *s, size_t n);

#endif /* SW_CMD_H */
