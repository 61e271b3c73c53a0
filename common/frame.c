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
 * A bounded arena for protobuf-c: one decoded envelope's memory comes from
 * a few large blocks and is released at once. Unpacking counts against a
 * budget (a small frame must not expand into a large allocation), and
 * freeing a page of thousands of rows is a handful of free() calls.
 *
 * The first block holds the arena itself, then the first allocation, which
 * protobuf-c makes for the top-level message: envelope_free() finds the
 * arena from the envelope's address.
 */
#define ARENA_ALIGN 16
#define ARENA_MIN_BLOCK (64u * 1024u)

struct arena_block {
	struct arena_block *next;
	size_t cap;     /* bytes in data */
	size_t off;     /* bytes used */
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena {
	struct arena_block *head;   /* newest block first; the last is the first block */
	size_t used, limit;
	void *first;                /* the first allocation: the envelope */
};

/* Offset of the first allocation inside the first block's data. */
#define ARENA_FIRST_OFF (((sizeof(struct arena) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

static struct arena_block *
arena_block_new(size_t cap)
{
	struct arena_block *b = malloc(sizeof *b + cap);
	if (b != NULL) {
		b->next = NULL;
		b->cap = cap;
		b->off = 0;
	}
	return b;
}

static void *
arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	struct arena_block *b = a->head;
	size_t need = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
	void *p;

	if (size > a->limit - a->used)
		return NULL;
	a->used += size;
	if (b->cap - b->off < need) {
		size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
		struct arena_block *nb = arena_block_new(cap);
		if (nb == NULL)
			return NULL;
		nb->next = a->head;
		a->head = b = nb;
	}
	p = b->data + b->off;
	b->off += need;
	if (a->first == NULL)
		a->first = p;
	return p;
}

static void
arena_free(void *data, void *ptr)
{
	/* Everything goes at once, in envelope_free(). */
	(void)data;
	(void)ptr;
}

static void
arena_release(struct arena *a)
{
	struct arena_block *b = a->head, *next;

	/* The arena lives in the last (first allocated) block: read before freeing. */
	while (b != NULL) {
		next = b->next;
		free(b);
		b = next;
	}
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
	struct arena_block *first;
	struct arena *a;
	ProtobufCAllocator alloc;
	Tongxin__Envelope *env;
	size_t cap;

	if (len == 0 || len > FRAME_MAX)
		return NULL;
	/* Real messages expand about 8x in memory; allow 16x plus slack. */
	cap = ARENA_FIRST_OFF + (4 * len > ARENA_MIN_BLOCK ? 4 * len : ARENA_MIN_BLOCK);
	if ((first = arena_block_new(cap)) == NULL)
		return NULL;
	a = (struct arena *)(void *)first->data;
	a->head = first;
	a->used = 0;
	a->limit = 16 * len + 256 * 1024;
	a->first = NULL;
	first->off = ARENA_FIRST_OFF;
	alloc.alloc = arena_alloc;
	alloc.free = arena_free;
	alloc.allocator_data = a;
	env = tongxin__envelope__unpack(&alloc, len, body);
	if (env == NULL || has_field_zero(&env->base, 0)) {
		arena_release(a);
		return NULL;
	}
	/* envelope_free() relies on this: the envelope is the first allocation. */
	if ((void *)env != a->first || a->first != (void *)(first->data + ARENA_FIRST_OFF)) {
		arena_release(a);
		return NULL;
	}
	return env;
}

void
envelope_free(Tongxin__Envelope *env)
{
	if (env != NULL)
		arena_release((struct arena *)(void *)((unsigned char *)env - ARENA_FIRST_OFF));
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
