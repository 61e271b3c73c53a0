/* region.c - GB/T 2260 lookups; see region.h. */
#include "region.h"

const char *
region_name(const char *s)
{
	uint32_t code = 0;
	size_t lo = 0, hi = region_code_count;

	if (s == NULL)
		return NULL;
	for (int i = 0; i < 6; i++) {
		if (s[i] < '0' || s[i] > '9')
			return NULL;
		code = code * 10 + (uint32_t)(s[i] - '0');
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (region_codes[mid].code == code)
			return region_codes[mid].name;
		if (region_codes[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
is_region_code(const char *s)
{
	return region_name(s) != NULL;
}
