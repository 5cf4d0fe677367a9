/*
 * nodeid.h - DHT node ids tied to the node's IP address (BEP 42).
 *
 * The first 21 bits of a node id must equal the first 21 bits of
 * CRC32-C(masked IP | r << 29 (IPv4) or r << 61 (IPv6, high 64 bits)),
 * where r (0..7) is the low 3 bits of the id's last byte.  That stops a
 * host from picking ids next to an infohash it wants to watch or censor.
 * Nodes on local-network addresses are exempt.
 */
#ifndef SW_NODEID_H
#define SW_NODEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"

#define SW_NODEID_LEN 20

/* CRC32-C (Castagnoli, reflected 0x82f63b78, init and final xor ~0) of p[0..n). */
uint32_t sw_nodeid_crc32c(const void *p, size_t n);

/*
 * The CRC32-C that ids for address a with random r (only its low 3 bits
 * count) must start with.  0, or SW_E_INVALID for a family not IPv4/IPv6.
 */
int sw_nodeid_prefix(const struct sw_addr *a, uint8_t r, uint32_t *crc);

/*
 * A node id for our external address ext from 20 random bytes: the first
 * 21 bits from the CRC, r = rand[19] & 7, bytes 2 (low 3 bits) to 19 from
 * rand.  0 or SW_E_INVALID.
 */
int sw_nodeid_generate(const struct sw_addr *ext, const uint8_t rand[SW_NODEID_LEN],
                       uint8_t out[SW_NODEID_LEN]);

/*
 * BEP 42's exempt local networks: 10/8, 172.16/12, 192.168/16, 169.254/16,
 * 127/8; for IPv6 (the BEP lists none) loopback, link-local and unique
 * local addresses (sw_addr_classify).
 */
bool sw_nodeid_exempt(const struct sw_addr *ip);

/* Does id follow BEP 42 for the address it came from?  Exempt addresses always do. */
bool sw_nodeid_valid(const struct sw_addr *ip, const uint8_t id[SW_NODEID_LEN]);

#endif /* SW_NODEID_H */
