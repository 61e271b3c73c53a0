/*
 * web_api_service.c - the desk's API for 在职党员到社区报到 (双报到): the limited records of in-service members who report to this community, the services they do, and the report back to their units: the same domain operations as
 * tongxin service. (Being built: see issue 10.)
 */
#include "web_api.h"

const struct web_route web_routes_service[] = {
	{ 0, NULL, NULL },
};
