/* loop.c - event_base and evdns set-up. */
#include "net/loop.h"

#include <string.h>

int sw_loop_init(struct sw_loop *l, struct sw_errbuf *eb)
{
	memset(l, 0, sizeof(*l));
	l->base = event_base_new();
	if (l->base == NULL)
		return sw_errbuf_set(eb, SW_E_NOMEM, "cannot create event loop");
	l->dns = evdns_base_new(l->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
						 EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (l->dns == NULL) {
		/* No resolv.conf: numeric addresses still work without one. */
		l->dns = evdns_base_new(l->base, 0);
		if (l->dns == NULL) {
			sw_loop_deinit(l);
			return sw_errbuf_set(eb, SW_E_NOMEM, "cannot create resolver");
		}
	}
	return SW_OK;
}

void sw_loop_deinit(struct sw_loop *l)
{
	if (l == NULL)
		return;
	if (l->dns != NULL)
		evdns_base_free(l->dns, 0);
	if (l->base != NULL)
		event_base_free(l->base);
	l->dns = NULL;
	l->base = NULL;
}

int sw_loop_run(struct sw_loop *l)
{
	return event_base_dispatch(l->base) < 0 ? SW_E_IO : SW_OK;
}

void sw_loop_stop(struct sw_loop *l)
{
	event_base_loopbreak(l->base);
}
