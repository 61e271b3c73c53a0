/*
 * main.c - tongxin: the community office client. All of it lives in
 * tx_client; here is only what the process does before anything else, to
 * start quickly (a clerk waits for every command): the start-up arena, the
 * prefault and OpenSSL's provider below. The test programs link tx_client without this file;
 * tests/test_arena.c includes it to test the arena.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <sqlite3.h>

#include "cli.h"

/*
 * The start-up arena: OpenSSL's and SQLite's allocations come first from one
 * 2 MiB block backed by a transparent huge page, then from malloc.
 *
 * Why: a command spends most of its time before it does anything. OpenSSL
 * 3.0 builds its algorithm tables for every process (~500 KB of small
 * blocks for a "tongxin sync") and SQLite reads the replica's schema; from
 * malloc those land on ~150 fresh 4 KiB pages, each a page fault, and on
 * this kind of VM a fault costs ~20 us (a no-op sync: ~3 ms of its ~15 ms).
 * One huge page is one fault. Where the kernel gives no huge page
 * (transparent_hugepage=never, or none free) the block is ordinary memory.
 *
 * The block is bump-allocated. Only its last block can be given back or
 * grown in place (temporaries freed at once, buffers grown in steps: a
 * no-op sync allocates 2.5 MB in all and keeps 1.6 MB of the arena spent);
 * any other block freed stays spent. So at most ARENA_SIZE is spent however
 * long the process runs (the desk), and everything past it is malloc's as
 * before. Each block carries its size in a header (SQLite's xSize,
 * realloc). Thread-safe: one atomic offset, moved by compare-and-swap.
 * Left out in sanitizer builds, so that ASan keeps seeing every allocation
 * of the libraries.
 */
/* TX_ARENA_TEST: tests/test_arena.c includes this file to run the arena under ASan as well. */
#if defined(__x86_64__) && defined(MADV_HUGEPAGE) && \
    (!defined(__SANITIZE_ADDRESS__) || defined(TX_ARENA_TEST))
#define ARENA_SIZE ((size_t)2 << 20)   /* one x86-64 huge page */
#define ARENA_BIG ((size_t)256 << 10)  /* larger requests go straight to malloc */
#define ARENA_HDR ((size_t)16)         /* keeps 16-byte alignment */

static char *arena_base;               /* NULL: no arena, malloc only */
static atomic_size_t arena_used;

/* A block's header: its usable size. */
static size_t *
arena_hdr(void *p)
{
	return (size_t *)(void *)((char *)p - ARENA_HDR);
}

static int
arena_owns(const void *p)
{
	return arena_base != NULL && (const char *)p >= arena_base &&
	    (const char *)p < arena_base + ARENA_SIZE;
}

/* n bytes, 16-aligned, from the arena while it lasts, else from malloc; NULL when out of memory. */
static void *
arena_alloc(size_t n)
{
	size_t need = (n + ARENA_HDR + 15) & ~(size_t)15, off;
	char *p;

	if (arena_base != NULL && n <= ARENA_BIG) {
		off = atomic_load_explicit(&arena_used, memory_order_relaxed);
		while (off + need <= ARENA_SIZE) {
			if (atomic_compare_exchange_weak_explicit(&arena_used, &off, off + need,
			    memory_order_relaxed, memory_order_relaxed)) {
				p = arena_base + off + ARENA_HDR;
				*arena_hdr(p) = need - ARENA_HDR;
				return p;
			}
		}
	}
	if (n > SIZE_MAX - ARENA_HDR || (p = malloc(n + ARENA_HDR)) == NULL)
		return NULL;
	p += ARENA_HDR;
	*arena_hdr(p) = n;
	return p;
}

/*
 * When p is the arena's last block: give it back (release), or grow it in
 * place to size usable bytes. Temporaries freed before the next allocation
 * and buffers grown in steps then cost the arena nothing. 0 when p is not
 * the last block (its bytes stay spent) or the arena has no room.
 */
static int
arena_resize_last(char *p, size_t size, int release)
{
	size_t at = (size_t)(p - arena_base);
	size_t end = at + *arena_hdr(p);
	size_t to = release ? at - ARENA_HDR : at + ((size + 15) & ~(size_t)15);

	if (to > ARENA_SIZE || !atomic_compare_exchange_strong_explicit(&arena_used, &end, to,
	    memory_order_relaxed, memory_order_relaxed))
		return 0;
	if (!release)
		*arena_hdr(p) = to - at;
	return 1;
}

static void
arena_free(void *p)
{
	if (p == NULL)
		return;
	if (!arena_owns(p))
		free((char *)p - ARENA_HDR);
	else
		(void)arena_resize_last(p, 0, 1);
}

static void *
arena_realloc(void *p, size_t n)
{
	size_t old;
	char *q;

	if (p == NULL)
		return arena_alloc(n);
	old = *arena_hdr(p);
	if (!arena_owns(p)) {
		if (n > SIZE_MAX - ARENA_HDR || (q = realloc((char *)p - ARENA_HDR, n + ARENA_HDR)) == NULL)
			return NULL;
		q += ARENA_HDR;
		*arena_hdr(q) = n;
		return q;
	}
	if (n <= old || (n <= ARENA_BIG && arena_resize_last(p, n, 0)))
		return p;
	if ((q = arena_alloc(n)) != NULL)
		memcpy(q, p, old);
	return q;
}

static void *
ossl_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return arena_alloc(n);
}

static void *
ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return arena_realloc(p, n);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	arena_free(p);
}

static void *
sq_malloc(int n)
{
	return n < 0 ? NULL : arena_alloc((size_t)n);
}

static void *
sq_realloc(void *p, int n)
{
	return n < 0 ? NULL : arena_realloc(p, (size_t)n);
}

static int
sq_size(void *p)
{
	return p == NULL ? 0 : (int)*arena_hdr(p);
}

static int
sq_roundup(int n)
{
	return (n + 15) & ~15;
}

static int
sq_init(void *x)
{
	(void)x;
	return SQLITE_OK;
}

static void
sq_shutdown(void *x)
{
	(void)x;
}

/*
 * Map the arena (2 MiB aligned, so one huge page can back it) and hand the
 * allocators to OpenSSL and SQLite; before either has allocated anything.
 * Any failure leaves both on malloc, as without this.
 */
static void
arena_start(void)
{
	static const sqlite3_mem_methods sq = {
		sq_malloc, arena_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL
	};
	char *m, *a;

	m = mmap(NULL, 2 * ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	a = (char *)(((uintptr_t)m + ARENA_SIZE - 1) & ~(uintptr_t)(ARENA_SIZE - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	if (a + ARENA_SIZE < m + 2 * ARENA_SIZE)
		munmap(a + ARENA_SIZE, (size_t)(m + 2 * ARENA_SIZE - (a + ARENA_SIZE)));
	(void)madvise(a, ARENA_SIZE, MADV_HUGEPAGE);
	arena_base = a;
	if (CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1 ||
	    sqlite3_config(SQLITE_CONFIG_MALLOC, &sq) != SQLITE_OK) {
		/* Too late for one of them: both keep to malloc (with headers). */
		arena_base = NULL;
		munmap(a, ARENA_SIZE);
	}
}
#else
static void
arena_start(void)
{
}
#endif

#if defined(MADV_POPULATE_READ) && defined(MADV_POPULATE_WRITE)
/* Map a range's pages in one call; pages outside a mapping are skipped by the kernel's error. */
static void
populate(uintptr_t lo, uintptr_t hi, int advice)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);

	lo &= ~(pg - 1);
	hi = (hi + pg - 1) & ~(pg - 1);
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, advice);
}

/* For each loaded object: its data and bss made private (the read-only segments are left alone). */
static int
prefault_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t relro_end = 0;

	(void)size, (void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
			relro_end = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr +
			    info->dlpi_phdr[i].p_memsz;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) == 0)
			continue;
		populate(lo > relro_end ? lo : relro_end, hi, MADV_POPULATE_WRITE);
	}
	return 0;
}

/*
 * Make private now, in a few calls, the pages a command writes anyway: the
 * program's and libc's data and bss, the stack below main's frame, and
 * malloc's first heap. Each first write to such a page is a fault of its
 * own (a copy or a zeroed page), and MADV_POPULATE_WRITE does them together.
 *
 * Code and constants are not populated. They once were (MADV_POPULATE_READ,
 * when tongxin loaded six shared libraries), but the program now carries
 * its OpenSSL and SQLite (6 MB of code and constants, ~1,500 pages), and
 * mapping all of them cost more than the faults it saved: a read fault of a
 * file page maps its neighbours too (the kernel's fault-around, 16 pages),
 * so a no-op "tongxin sync" takes only ~55 faults more without it (276
 * instead of 223) and ~0.55 ms less CPU: 300 runs of each interleaved,
 * CPU 5.12 -> 4.55 ms a run, median wall 8.65 -> 7.85 ms (load 2.6).
 * A kernel before 5.14 refuses the advice and the pages fault in as before.
 */
static void
prefault(void)
{
	char here;
	uintptr_t sp = (uintptr_t)&here, brk0;

	dl_iterate_phdr(prefault_object, NULL);
	populate(sp - ((uintptr_t)64 << 10), sp, MADV_POPULATE_WRITE);
	brk0 = (uintptr_t)sbrk(0);
	free(malloc(1));
	if (brk0 != (uintptr_t)-1)
		populate(brk0, (uintptr_t)sbrk(0), MADV_POPULATE_WRITE);
}
#else
static void
prefault(void)
{
}
#endif

#ifdef TX_OPENSSL_STATIC
/*
 * OpenSSL's default provider as tongxin's only provider, offering of its
 * ciphers only those tongxin uses: TLS 1.3's three AEADs, and the AES-ECB
 * and AES-CTR that its random generator (CTR-DRBG) runs on. Every other
 * operation (digests, MACs, KDFs, key types, signatures, key exchange,
 * encoders and decoders, random) is the default provider's, untouched.
 *
 * Why: OpenSSL 3.0 constructs every algorithm a provider offers for an
 * operation the first time anything of that operation is fetched, and
 * SSL_CTX_new fetches ciphers: 124 of them for one context. A no-op
 * "tongxin sync" as a process: 13.3M instructions with this provider,
 * 15.8M without (callgrind). No file of tongxin encrypts
 * anything itself (keys are written and read in the clear, 0600; TLS is
 * the only cipher user), and a TLS 1.3 client offers only these suites.
 *
 * ossl_default_provider_init is libcrypto's own entry point of the
 * built-in default provider: not exported by the shared library, but a
 * global symbol of libcrypto.a, which tongxin links (CMakeLists.txt
 * defines TX_OPENSSL_STATIC only when that links). Linked dynamically,
 * tongxin keeps the default provider as it is.
 */
extern OSSL_provider_init_fn ossl_default_provider_init;

static const char *const kept_cipher_names[] = {
	"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
	"AES-128-ECB", "AES-192-ECB", "AES-256-ECB",
	"AES-128-CTR", "AES-192-CTR", "AES-256-CTR",
};
#define KEPT_CIPHERS (sizeof kept_cipher_names / sizeof kept_cipher_names[0])

static OSSL_ALGORITHM kept_ciphers[KEPT_CIPHERS + 1];   /* ends with an empty entry */
static OSSL_DISPATCH own_dispatch[32];                 /* the default's, our query */
static OSSL_FUNC_provider_query_operation_fn *default_query;

/* Whether an algorithm (names "FIRST:ALIAS:OID...") is one tongxin keeps, by its first name. */
static int
cipher_kept(const char *names)
{
	size_t n = strcspn(names, ":");

	for (size_t i = 0; i < KEPT_CIPHERS; i++)
		if (strlen(kept_cipher_names[i]) == n &&
		    OPENSSL_strncasecmp(names, kept_cipher_names[i], n) == 0)
			return 1;
	return 0;
}

/* The default provider's answer, with its ciphers cut to kept_ciphers. */
static const OSSL_ALGORITHM *
own_query(void *provctx, int operation, int *no_cache)
{
	const OSSL_ALGORITHM *all = default_query(provctx, operation, no_cache);

	return operation == OSSL_OP_CIPHER && all != NULL ? kept_ciphers : all;
}

/*
 * The provider's init: the default provider's, whose context it shares
 * (its algorithms are the default's, called with the default's context),
 * with the dispatch table copied and the query replaced. 0 if anything is
 * not as expected: the provider is then not loaded.
 */
static int
own_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
    void **provctx)
{
	const OSSL_DISPATCH *d;
	const OSSL_ALGORITHM *all;
	size_t n = 0, k = 0;
	int no_cache = 0;

	if (!ossl_default_provider_init(handle, in, &d, provctx))
		return 0;
	for (; d->function_id != 0; d++, n++) {
		if (n + 1 >= sizeof own_dispatch / sizeof own_dispatch[0])
			return 0;
		own_dispatch[n] = *d;
		if (d->function_id == OSSL_FUNC_PROVIDER_QUERY_OPERATION) {
			default_query = OSSL_FUNC_provider_query_operation(d);
			own_dispatch[n].function = (void (*)(void))own_query;
		}
	}
	memset(&own_dispatch[n], 0, sizeof own_dispatch[n]);
	if (default_query == NULL ||
	    (all = default_query(*provctx, OSSL_OP_CIPHER, &no_cache)) == NULL)
		return 0;
	for (; all->algorithm_names != NULL && k < KEPT_CIPHERS; all++)
		if (cipher_kept(all->algorithm_names))
			kept_ciphers[k++] = *all;
	memset(&kept_ciphers[k], 0, sizeof kept_ciphers[k]);
	*out = own_dispatch;
	return 1;
}

/*
 * Load the provider into the default library context before anything
 * fetches: a context with a provider loaded explicitly never falls back to
 * the default one. On failure nothing is loaded, and the default provider
 * loads by itself at the first fetch, as without this.
 */
static void
provider_start(void)
{
	if (OSSL_PROVIDER_add_builtin(NULL, "tongxin", own_init) == 1)
		(void)OSSL_PROVIDER_load(NULL, "tongxin");
	ERR_clear_error();
}
#else
static void
provider_start(void)
{
}
#endif

int
main(int argc, char **argv)
{
	prefault();
	arena_start();
	/*
	 * OpenSSL without openssl.cnf: tongxin's TLS is fixed by its own code
	 * (TLS 1.3 only, its street's CA, the provider started below), so
	 * nothing in the system's file may change it, and reading and parsing
	 * the file cost every command that touches OpenSSL (0.5M instructions
	 * of a no-op sync). Without the legacy table of cipher names either:
	 * OpenSSL 3.0 fills it with ~200 names and copies them into its name
	 * map at the first fetch (a no-op sync 15.4M -> 13.3M instructions),
	 * and nothing here looks a cipher up by its legacy name (TLS fetches
	 * its ciphers from the provider by the names the provider offers).
	 * The digests' table stays: certificate checks read digest sizes from
	 * it (without it a CA's SHA-256 signature is "too weak"). No clean-up
	 * at exit (see tongxin_main). All must be the first request to OpenSSL.
	 */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
	    OPENSSL_INIT_NO_ATEXIT, NULL);
	provider_start();
	/*
	 * SQLite keeps memory statistics (a mutex and a size lookup around
	 * every allocation) that nothing here reads: off, before SQLite starts.
	 * A no-op "tongxin sync" 0.47M instructions fewer, "member list" 12%.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return tongxin_main(argc, argv);
}
