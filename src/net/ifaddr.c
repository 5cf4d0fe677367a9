/* ifaddr.c - the host's interface addresses via getifaddrs(3). */
#include "net/ifaddr.h"

#include <ifaddrs.h>
#include <string.h>

#include "core/error.h"

int sw_ifaddrs_load(struct sw_ifaddrs *ifs)
{
	struct ifaddrs *list, *i;

	memset(ifs, 0, sizeof(*ifs));
	if (getifaddrs(&list) != 0)
		return SW_E_IO;
	for (i = list; i != NULL && ifs->n < SW_IFADDR_MAX; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (sw_addr_from_sockaddr(&ifs->addr[ifs->n], i->ifa_addr) == SW_OK) {
			ifs->addr[ifs->n].port = 0;
			ifs->n++;
		}
	}
	freeifaddrs(list);
	return SW_OK;
}

bool sw_ifaddrs_has(const struct sw_ifaddrs *ifs, const struct sw_addr *a)
{
	for (size_t i = 0; i < ifs->n; i++)
		if (sw_addr_same_ip(&ifs->addr[i], a))
			return true;
	return false;
}

void sw_ifaddrs_add(struct sw_ifaddrs *ifs, const struct sw_addr *a)
{
	if (sw_ifaddrs_has(ifs, a) || ifs->n >= SW_IFADDR_MAX)
		return;
	ifs->addr[ifs->n] = *a;
	ifs->addr[ifs->n].port = 0;
	ifs->n++;
}
