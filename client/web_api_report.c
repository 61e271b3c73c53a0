/*
 * web_api_report.c - the desk's API for 报表 reports: profile shares, 三会一课 compliance, inactive members, overdue items, expiring terms; CSV exports and print views.
 * Handlers translate HTTP to the domain layer; no SQL here (web_api.h).
 */
#include "web_api.h"

const struct web_route web_routes_report[] = {
	{ 0, NULL, NULL },
};
