/*
 * web_api_committee.c - the desk's API for 委员会 and 党员中心户: committee seats with terms, and member households that keep in touch with a grid's households: the same domain operations as
 * tongxin committee. (Being built: see issue 10.)
 */
#include "web_api.h"

const struct web_route web_routes_committee[] = {
	{ 0, NULL, NULL },
};
