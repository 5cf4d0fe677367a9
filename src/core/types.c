/* types.c - names of sources and tiers, as they appear in output and store. */
#include "core/types.h"

#include <string.h>

#include "core/error.h"

static const char *const source_names[SW_SOURCE_COUNT] = {
	"tracker", "dht", "dht-passive", "pex", "incoming",
};

static const char *const tier_names[SW_TIER_COUNT] = {
	"seen", "connectable", "verified", "proven",
};

const char *sw_source_name(enum sw_source s)
{
	return (unsigned)s < SW_SOURCE_COUNT ? source_names[s] : NULL;
}

const char *sw_tier_name(enum sw_tier t)
{
	return (unsigned)t < SW_TIER_COUNT ? tier_names[t] : NULL;
}

int sw_source_parse(const char *name, enum sw_source *out)
{
	for (int i = 0; i < SW_SOURCE_COUNT; i++) {
		if (strcmp(name, source_names[i]) == 0) {
			*out = (enum sw_source)i;
			return SW_OK;
		}
	}
	return SW_E_NOT_FOUND;
}

int sw_tier_parse(const char *name, enum sw_tier *out)
{
	for (int i = 0; i < SW_TIER_COUNT; i++) {
		if (strcmp(name, tier_names[i]) == 0) {
			*out = (enum sw_tier)i;
			return SW_OK;
		}
	}
	return SW_E_NOT_FOUND;
}
