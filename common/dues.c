/* dues.c - the 党费收缴 rules; see dues.h. */
#include "dues.h"

#include <string.h>

int
dues_rate_bp(const char *cls, int64_t base)
{
	if (cls == NULL)
		return 0;
	if (strcmp(cls, "salaried") == 0)
		return base <= 300000 ? 50 : base <= 500000 ? 100 : base <= 1000000 ? 150 : 200;
	if (strcmp(cls, "retired") == 0)
		return base <= 500000 ? 50 : 100;
	return 0;
}

int64_t
dues_monthly(const char *cls, int64_t base)
{
	if (cls == NULL)
		return -1;
	if (strcmp(cls, "salaried") == 0 || strcmp(cls, "retired") == 0) {
		if (base < 0 || base > DUES_BASE_MAX)
			return -1;
		return (base * dues_rate_bp(cls, base) + 5000) / 10000;
	}
	if (strcmp(cls, "farmer") == 0)
		return base >= DUES_FARMER_MIN && base <= DUES_FARMER_MAX ? base : -1;
	if (strcmp(cls, "student") == 0 || strcmp(cls, "unemployed") == 0 ||
	    strcmp(cls, "relief") == 0)
		return DUES_FIXED;
	return -1;
}
