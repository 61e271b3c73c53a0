/*
 * region.h - GB/T 2260 administrative division codes, the first six digits
 * of a citizen ID number (GB 11643).
 *
 * The table is common/data/gb2260.tsv, current and historical codes since
 * 1980 (an ID keeps the code of the place and year it was issued, so codes
 * that have since been abolished stay valid), built into the program by
 * scripts/embed_gb2260.cmake.
 */
#ifndef TX_REGION_H
#define TX_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct region_code {
	uint32_t code;          /* e.g. 110101 */
	const char *name;       /* e.g. 北京市东城区 */
};

/* Sorted by code; generated. */
extern const struct region_code region_codes[];
extern const size_t region_code_count;

/* The place whose GB/T 2260 code the first six characters of s are, or NULL. */
const char *region_name(const char *s);
/* Whether the first six characters of s are a GB/T 2260 code. */
bool is_region_code(const char *s);

#endif
