/*
 * web_api_life.c - the desk's API for the end of membership (党员减少) and
 * discipline (党纪处分): the same domain operations as tongxin member
 * leave/discipline. (Being built: see issue 10.)
 */
#include "web_api.h"

const struct web_route web_routes_life[] = {
	{ 0, NULL, NULL },
};
