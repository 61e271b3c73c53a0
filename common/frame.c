/* frame.c - see frame.h. */
#include "frame.h"

#include <pthread.h>
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

/*
 * Large blocks are kept for the next large frame. Memory a process touches
 * for the first time costs a page fault per 4 KiB, and on a virtual machine
 * such as the one we measure on a fault costs ~20 us: 7 MiB of fresh memory
 * took 33-47 ms to touch, the same memory touched again 0.4 ms. A pull page
 * of 5,000 members (1.7 MB) decodes into a ~7 MiB arena; when each page's
 * arena was fresh memory (malloc hands large blocks back to the system, a
 * new reader thread gets a new heap), decoding a page took 115-150 ms, and
 * the page's bytes waited meanwhile in the socket, long enough for the
 * kernel to drop and the server to retransmit after 200 ms. Kept blocks are
 * reused whole: at most SPARE_MAX of them and SPARE_BYTES in all, handed
 * back by frame_spares_trim() when a pull is over or the server is idle.
 */
#define SPARE_MIN (256u * 1024u)   /* smaller blocks go back to malloc */
#define SPARE_MAX 8
#define SPARE_BYTES (32u * 1024u * 1024u)

static struct {
	pthread_mutex_t mu;
	struct arena_block *b[SPARE_MAX];
	size_t n, bytes;
} spares = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The smallest kept block of at least cap bytes, taken off the list; NULL if none. */
static struct arena_block *
spare_take(size_t cap)
{
	struct arena_block *b = NULL;
	size_t best = 0;

	pthread_mutex_lock(&spares.mu);
	for (size_t i = 0; i < spares.n; i++)
		if (spares.b[i]->cap >= cap && (b == NULL || spares.b[i]->cap < spares.b[best]->cap)) {
			b = spares.b[i];
			best = i;
		}
	if (b != NULL) {
		spares.b[best] = spares.b[--spares.n];
		spares.bytes -= b->cap;
	}
	pthread_mutex_unlock(&spares.mu);
	return b;
}

/* Keep a large block for reuse, or free it if it is small or the list is full. */
static void
spare_put(struct arena_block *b)
{
	if (b->cap >= SPARE_MIN) {
		pthread_mutex_lock(&spares.mu);
		if (spares.n < SPARE_MAX && spares.bytes + b->cap <= SPARE_BYTES) {
			spares.b[spares.n++] = b;
			spares.bytes += b->cap;
			b = NULL;
		}
		pthread_mutex_unlock(&spares.mu);
	}
	free(b);
}

void
frame_spares_trim(void)
{
	struct arena_block *keep[SPARE_MAX];
	size_t n;

	pthread_mutex_lock(&spares.mu);
	n = spares.n;
	memcpy(keep, spares.b, n * sizeof keep[0]);
	spares.n = 0;
	spares.bytes = 0;
	pthread_mutex_unlock(&spares.mu);
	for (size_t i = 0; i < n; i++)
		free(keep[i]);
}

static struct arena_block *
arena_block_new(size_t cap)
{
	struct arena_block *b = NULL;

	/*
	 * Large sizes are rounded up to whole 256 KiB, so that a kept block fits
	 * the next page, which is a few bytes longer or shorter: exact sizes
	 * missed each time (and so did malloc's own reuse, whose threshold for
	 * handing a block back to the system follows the last block freed).
	 */
	if (cap >= SPARE_MIN) {
		cap = (cap + SPARE_MIN - 1) / SPARE_MIN * SPARE_MIN;
		b = spare_take(cap);
	}

	if (b == NULL && (b = malloc(sizeof *b + cap)) != NULL)
		b->cap = cap;
	if (b != NULL) {
		b->next = NULL;
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
		spare_put(b);
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
	/*
	 * Real messages expand about 8-10x in memory (a pull page of 1.7 MB used
	 * 16.6 MB); allow 16x plus slack. A large frame gets one block of 12x
	 * at once (only what is touched costs: the rest stays unmapped), not a
	 * block of 4x and then one of 8x that the next frame cannot reuse.
	 * Frames too large for a kept block (a push of 4 MiB) stay with 4x and
	 * doubling: there malloc reuses the blocks (its threshold for handing
	 * a block back to the system follows blocks up to 32 MiB), and a 48 MiB
	 * block would be fresh memory for every push (a clerk's sync of 100,000
	 * members: 2.4 s -> 3.1 s when it was).
	 */
	if (12 * len >= SPARE_MIN && 12 * len <= SPARE_BYTES)
		cap = ARENA_FIRST_OFF + 12 * len;
	else
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
