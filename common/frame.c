/* frame.c - see frame.h. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

enum frame_status
frame_peek(const uint8_t *buf, size_t len, size_t cap, uint32_t *body_len)
{
	uint32_t n;

	if (len < FRAME_HDR_LEN)
		return FRAME_NEED_MORE;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	if (n == 0)
		return FRAME_EMPTY;
	if (n > cap)
		return FRAME_OVERSIZE;
	*body_len = n;
	if (len - FRAME_HDR_LEN < n)
		return FRAME_NEED_MORE;
	return FRAME_OK;
}

/*
 * A bounded allocator for protobuf-c. Memory comes from malloc, so the
 * message can be freed with the default allocator; only unpacking counts.
 */
struct frame_budget {
	size_t used;
	size_t limit;
};

static void *
budget_alloc(void *data, size_t size)
{
	struct frame_budget *b = data;

	if (size > b->limit - b->used)
		return NULL;
	b->used += size;
	return malloc(size);
}

static void
budget_free(void *data, void *ptr)
{
	(void)data;
	free(ptr);
}

Tongxin__Envelope *
frame_decode(const uint8_t *body, size_t len)
{
	/* Real messages expand about 8x in memory; allow 16x plus slack. */
	struct frame_budget b = { 0, 16 * len + 256 * 1024 };
	ProtobufCAllocator a = { budget_alloc, budget_free, &b };

	if (len == 0 || len > FRAME_MAX)
		return NULL;
	return tongxin__envelope__unpack(&a, len, body);
}

void
envelope_free(Tongxin__Envelope *env)
{
	if (env != NULL)
		tongxin__envelope__free_unpacked(env, NULL);
}

uint8_t *
frame_encode(const Tongxin__Envelope *env, size_t *out_len)
{
	size_t n = tongxin__envelope__get_packed_size(env);
	uint8_t *buf;

	if (n == 0 || n > FRAME_MAX)
		return NULL;
	if ((buf = malloc(n + FRAME_HDR_LEN)) == NULL)
		return NULL;
	buf[0] = (uint8_t)(n >> 24);
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	tongxin__envelope__pack(env, buf + FRAME_HDR_LEN);
	*out_len = n + FRAME_HDR_LEN;
	return buf;
}

const char *
envelope_body_name(const Tongxin__Envelope *env)
{
	switch (env->body_case) {
	case TONGXIN__ENVELOPE__BODY_HELLO: return "hello";
	case TONGXIN__ENVELOPE__BODY_WELCOME: return "welcome";
	case TONGXIN__ENVELOPE__BODY_ERROR: return "error";
	case TONGXIN__ENVELOPE__BODY_PUSH: return "push";
	case TONGXIN__ENVELOPE__BODY_PUSH_RESULT: return "push-result";
	case TONGXIN__ENVELOPE__BODY_PULL: return "pull";
	case TONGXIN__ENVELOPE__BODY_PULL_RESULT: return "pull-result";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_LIST: return "conflicts-list";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT: return "conflicts-list-result";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW: return "conflicts-show";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT: return "conflicts-show-result";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE: return "conflicts-resolve";
	case TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT: return "conflicts-resolve-result";
	case TONGXIN__ENVELOPE__BODY_AUDIT: return "audit";
	case TONGXIN__ENVELOPE__BODY_AUDIT_RESULT: return "audit-result";
	case TONGXIN__ENVELOPE__BODY_DEVICES: return "devices";
	case TONGXIN__ENVELOPE__BODY_DEVICES_RESULT: return "devices-result";
	case TONGXIN__ENVELOPE__BODY_REPLICA_CHECK: return "replica-check";
	case TONGXIN__ENVELOPE__BODY_REPLICA_CHECK_RESULT: return "replica-check-result";
	default: return "unknown";
	}
}
