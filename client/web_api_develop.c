/*
 * web_api_develop.c - the desk's API for the development pipeline (发展党员)
 * and probation (转正, 延长预备期): the same domain operations as
 * tongxin develop and member promote/extend. (Being built: see issue 10.)
 */
#include "web_api.h"

const struct web_route web_routes_develop[] = {
	{ 0, NULL, NULL },
};
