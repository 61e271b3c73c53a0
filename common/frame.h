/*
 * frame.h - the wire framing: a 4-byte big-endian length, then one Envelope.
 *
 * The decoder is pure (bytes in, message out) so that the server's evbuffer
 * reader, the client's blocking reader, the unit tests and the fuzz target
 * all share it. Lengths are checked against the cap in force before any body
 * byte is read; protobuf-c unpacks through a bounded allocator because a
 * small frame can otherwise expand into a large allocation.
 */
#ifndef TX_FRAME_H
#define TX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "tongxin.pb-c.h"

#define FRAME_HDR_LEN 4
#define FRAME_MAX_PREAUTH (64u * 1024u)          /* before Hello has succeeded */
#define FRAME_MAX (16u * 1024u * 1024u)          /* after */
#define PROTOCOL_VERSION 1

enum frame_status {
	FRAME_OK,         /* a whole frame is available */
	FRAME_NEED_MORE,  /* not yet: wait for more bytes */
	FRAME_EMPTY,      /* zero-length frame: never valid */
	FRAME_OVERSIZE,   /* length above the cap */
};

/*
 * Look at the first len bytes of a stream. Returns FRAME_OK when the header
 * and the whole body are present, FRAME_NEED_MORE when they are not, or an
 * error as soon as the header alone shows one. *body_len is set whenever a
 * complete header within cap has been seen.
 */
enum frame_status frame_peek(const uint8_t *buf, size_t len, size_t cap, uint32_t *body_len);

/*
 * Decode one envelope body. Returns NULL if the bytes are not a valid
 * envelope or would need more memory than a frame of this size may use.
 * Free the result with envelope_free().
 */
Tongxin__Envelope *frame_decode(const uint8_t *body, size_t len);

/* Free a decoded envelope; accepts NULL. */
void envelope_free(Tongxin__Envelope *env);

/*
 * Give back the large decode blocks kept for reuse (see frame.c): call it
 * when no large frame is expected soon (a pull is over, the server is
 * idle). Safe from any thread.
 */
void frame_spares_trim(void);

/*
 * Encode an envelope as a frame (header included) into a new malloc'd
 * buffer of *out_len bytes. NULL if it would exceed FRAME_MAX.
 */
uint8_t *frame_encode(const Tongxin__Envelope *env, size_t *out_len);

/* Name of an envelope's body case, for logs ("hello", "push", ...). */
const char *envelope_body_name(const Tongxin__Envelope *env);

#endif
