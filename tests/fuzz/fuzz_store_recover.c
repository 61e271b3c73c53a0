/*
 * fuzz_store_recover.c - fuzz_store in its third mode: the template is a
 * restored store (a new epoch, versions lost between restored_version and
 * version_floor) and the office sends RecoverRequests instead of a push;
 * nothing outside its subtree may change. See fuzz_store.c.
 */
#define TX_FUZZ_RECOVER_DEFAULT 1
#include "fuzz_store.c"
