/*
 * addr.h - "HOST:PORT" addresses as both programs take them on the command
 * line and in bundles ("[v6]:PORT" for IPv6).
 */
#ifndef TX_ADDR_H
#define TX_ADDR_H

#include <stddef.h>

/* Split s into host (at most hostcap bytes) and a port 1-65535. -1 if malformed. */
int split_hostport(const char *s, char *host, size_t hostcap, int *port);

#endif
