/*
 * fuzz_store_resolve.c - fuzz_store in its second mode: after each push the
 * street's administrator settles every open conflict of the office with
 * take-office, which must apply within the office's scope. See fuzz_store.c.
 */
#define TX_FUZZ_RESOLVE_DEFAULT 1
#include "fuzz_store.c"
