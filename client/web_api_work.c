/*
 * web_api_work.c - the desk's API for 会议 meetings with attendance and 清单 items.
 * Handlers translate HTTP to the domain layer; no SQL here (web_api.h).
 */
#include "web_api.h"

const struct web_route web_routes_work[] = {
	{ 0, NULL, NULL },
};
