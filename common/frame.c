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

/*
 * Whether a message (or any message inside it) carries an unknown field
 * numbered 0. protobuf-c accepts such a field when its key is written in
 * two bytes, but cannot read back what it packs from it: a stored message
 * would become unreadable.
 */
static int
has_field_zero(const ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (depth > 32)
		return 1;
	for (unsigned i = 0; i < m->n_unknown_fields; i++)
		if (m->unknown_fields[i].tag == 0)
			return 1;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (arr[k] && has_field_zero(arr[k], depth + 1))
					return 1;
		} else {
			const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)(base + f->offset);
			/* A oneof member is set only when the case says so. */
			if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
			    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
				continue;
			if (sub && has_field_zero(sub, depth + 1))
				return 1;
		}
	}
	return 0;
}

Tongxin__Envelope *
frame_decode(const uint8_t *body, size_t len)
{
	/* Real messages expand about 8x in memory; allow 16x plus slack. */
	struct frame_budget b = { 0, 16 * len + 256 * 1024 };
	ProtobufCAllocator a = { budget_alloc, budget_free, &b };
	Tongxin__Envelope *env;

	if (len == 0 || len > FRAME_MAX)
		return NULL;
	env = tongxin__envelope__unpack(&a, len, body);
	if (env != NULL && has_field_zero(&env->base, 0)) {
		envelope_free(env);
		return NULL;
	}
	return env;
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
