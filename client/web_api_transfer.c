/*
 * web_api_transfer.c - the desk's API for 转接 transfers, and for administrators 冲突 conflicts, 设备 devices, 审计 audit, 核对 reconciliation.
 * Handlers translate HTTP to the domain layer; no SQL here (web_api.h).
 */
#include "web_api.h"

const struct web_route web_routes_transfer[] = {
	{ 0, NULL, NULL },
};
