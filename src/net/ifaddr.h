/*
 * ifaddr.h - this host's own addresses, so that a tracker that hands us
 * our own endpoint back (opentracker does not leave the requester out of
 * its peer list) does not make us count ourselves.
 */
#ifndef SW_IFADDR_H
#define SW_IFADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/addr.h"

#define SW_IFADDR_MAX 64

struct sw_ifaddrs {
	struct sw_addr addr[SW_IFADDR_MAX]; /* ports are 0 */
	size_t n;
};

/* Fill from getifaddrs(); on failure n is 0.  Returns 0 or SW_E_IO. */
int sw_ifaddrs_load(struct sw_ifaddrs *ifs);
/* Add an address we are bound to (a --listen address on no interface of its own). */
void sw_ifaddrs_add(struct sw_ifaddrs *ifs, const struct sw_addr *a);
/* Is a's IP one of ours (port ignored)? */
bool sw_ifaddrs_has(const struct sw_ifaddrs *ifs, const struct sw_addr *a);

#endif /* SW_IFADDR_H */
