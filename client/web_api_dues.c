/*
 * web_api_dues.c - the desk's API for 党费: each member's monthly dues by the 党费收缴 rules, payments per month, arrears: the same domain operations as
 * tongxin dues. (Being built: see issue 10.)
 */
#include "web_api.h"

const struct web_route web_routes_dues[] = {
	{ 0, NULL, NULL },
};
