/* harness.c - shared benchmark helpers; see harness.h. */
#include "harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "store.h"
#include "sync.h"
#include "validate.h"
#include "value.h"

#define MAX_DIRS 32
#define MAX_SERVERS 8

/*
 * Everything to undo at exit: temporary directories and running servers.
 * The harness keeps its own copy of every server's pid (never a pointer to
 * the caller's struct, which may be gone when the exit handlers run).
 */
static char *dirs[MAX_DIRS];
static int ndirs;
static pid_t server_pids[MAX_SERVERS];   /* 0: free slot */
static pid_t owner_pid;    /* only the process that made them cleans up */

/* SIGTERM a child server and reap it (SIGKILL after 15 s). */
static void
stop_pid(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (int i = 0; i < 1500; i++) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			return;   /* gone, or not ours to wait for */
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void
forget_pid(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (server_pids[i] == pid)
			server_pids[i] = 0;
}

double
bx_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bx_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
bx_load(double *load1, int *ncpu)
{
	double l[3] = { 0, 0, 0 };

	if (getloadavg(l, 3) < 1)
		l[0] = -1;
	*load1 = l[0];
	*ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

void
bx_settle(void)
{
	sync();
	usleep(20000);
}

static void
cleanup(void)
{
	if (getpid() != owner_pid)
		return;
	for (int i = 0; i < MAX_SERVERS; i++) {
		stop_pid(server_pids[i]);
		server_pids[i] = 0;
	}
	for (int i = 0; i < ndirs; i++) {
		bx_rm_rf(dirs[i]);
		free(dirs[i]);
	}
	ndirs = 0;
}

/*
 * Interrupted: clean up and leave. nftw and free are not async-signal-safe;
 * the main program is stopped mid-step anyway and this is a benchmark.
 */
static void
on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
arm_cleanup(void)
{
	static int armed;

	if (armed)
		return;
	armed = 1;
	owner_pid = getpid();
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
}

void
bx_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
bx_rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
bx_tmpdir(const char *tag)
{
	const char *base = getenv("BENCH_TMPDIR");
	char path[4096];

	arm_cleanup();
	if (base == NULL || *base == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (ndirs == MAX_DIRS)
		bx_die("too many temporary directories");
	snprintf(path, sizeof path, "%s/tongxin-bench-%s-XXXXXX", base, tag);
	if (mkdtemp(path) == NULL)
		bx_die("cannot make a directory under %s: %s", base, strerror(errno));
	if ((dirs[ndirs] = strdup(path)) == NULL)
		bx_die("out of memory");
	return dirs[ndirs++];
}

const char *
bx_fs_name(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) != 0)
		return "?";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53UL: return "ext4";
	case 0x01021994UL: return "tmpfs";
	case 0x58465342UL: return "xfs";
	case 0x9123683EUL: return "btrfs";
	case 0x794C7630UL: return "overlayfs";
	case 0x6969UL: return "nfs";
	default: return "other";
	}
}

const char *
bx_tongxind(void)
{
	const char *p = getenv("TONGXIND");

	if (p != NULL && *p != '\0')
		return p;
#ifdef BX_TONGXIND
	return BX_TONGXIND;
#else
	return "build/tongxind";
#endif
}

/* Redirect stdout and stderr of a child to log. */
static void
child_output(const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
}

int
bx_run(char *const argv[], const char *log)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		bx_die("fork: %s", strerror(errno));
	if (pid == 0) {
		child_output(log);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bx_die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Print the end of a log file on stderr (when something failed). */
static void
log_tail(const char *log)
{
	FILE *f = fopen(log, "r");
	char buf[4096];
	long size;
	size_t n;

	if (f == NULL)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size > 3000 ? size - 3000 : 0, SEEK_SET);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "--- %s (end) ---\n%s--- end ---\n", log, buf);
}

/* A loopback port nobody listens on right now. */
static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		bx_die("cannot find a free port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

void
bx_street_init(struct bx_street *st, const char *base)
{
	bx_root_init(st, base, "--street", "基准街道", "JD01");
}

void
bx_root_init(struct bx_street *st, const char *base, const char *flag, const char *name,
    const char *code_in)
{
	char err[1024] = "", code[64];
	struct store *s;

	memset(st, 0, sizeof *st);
	arm_cleanup();
	snprintf(st->dir, sizeof st->dir, "%s/srv", base);
	snprintf(st->log, sizeof st->log, "%s/server.log", base);
	snprintf(st->listen, sizeof st->listen, "127.0.0.1:%d", free_port());
	{
		char *argv[] = { (char *)bx_tongxind(), "init", st->dir, (char *)flag, (char *)name,
		    "--code", (char *)code_in, "--listen", st->listen, NULL };
		if (bx_run(argv, st->log) != 0) {
			log_tail(st->log);
			bx_die("%s init failed", bx_tongxind());
		}
	}
	if ((s = store_open(st->dir, 0, err, sizeof err)) == NULL)
		bx_die("cannot open the new store: %s", err);
	if (store_setting(s, "street_id", st->street_id, sizeof st->street_id) != 0 ||
	    store_setting(s, "street_code", code, sizeof code) != 0 ||
	    store_org_scope(s, code, st->scope, sizeof st->scope, NULL, 0) != 0)
		bx_die("the new store does not name its street");
	store_close(s);
}

void
bx_enroll(struct bx_street *st, const char *device, const char *path)
{
	char *argv[] = { (char *)bx_tongxind(), "enroll", st->dir, "--org", "JD01", "--device",
	    (char *)device, "--out", (char *)path, NULL };

	if (bx_run(argv, st->log) != 0) {
		log_tail(st->log);
		bx_die("%s enroll failed", bx_tongxind());
	}
}

void
bx_server_start(struct bx_street *st)
{
	struct sockaddr_in a;
	const char *colon = strrchr(st->listen, ':');
	int status, slot = -1;

	for (int i = 0; i < MAX_SERVERS && slot < 0; i++)
		if (server_pids[i] == 0)
			slot = i;
	if (slot < 0)
		bx_die("too many servers");
	fflush(stdout);
	fflush(stderr);
	if ((st->pid = fork()) < 0)
		bx_die("fork: %s", strerror(errno));
	if (st->pid == 0) {
		child_output(st->log);
		execl(bx_tongxind(), "tongxind", "serve", st->dir, "--listen", st->listen,
		    (char *)NULL);
		fprintf(stderr, "cannot run %s: %s\n", bx_tongxind(), strerror(errno));
		_exit(127);
	}
	server_pids[slot] = st->pid;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	for (int i = 0; i < 1000; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return;
		if (waitpid(st->pid, &status, WNOHANG) == st->pid) {
			forget_pid(st->pid);
			st->pid = 0;
			log_tail(st->log);
			bx_die("tongxind serve exited at start");
		}
		usleep(10000);
	}
	log_tail(st->log);
	bx_die("tongxind serve did not listen on %s within 10 s", st->listen);
}

void
bx_server_stop(struct bx_street *st)
{
	stop_pid(st->pid);
	forget_pid(st->pid);
	st->pid = 0;
}

struct replica *
bx_replica_new(const char *path, const char *bundle)
{
	char err[1024] = "";
	struct replica *r;

	if (replica_join(path, bundle, NULL, err, sizeof err) != 0 ||
	    (r = replica_open(path, err, sizeof err)) == NULL)
		bx_die("replica %s: %s", path, err);
	return r;
}

void
bx_replica_rm(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal", ".credential" };
	char p[4200];

	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
}

/* --- rows ----------------------------------------------------------------- */

/* Text storage in 1 MiB chunks: pointers into it stay valid. */
struct chunk {
	struct chunk *next;
	size_t used;
	char data[1 << 20];
};

static char *
arena_put(void **arena, const char *s, size_t n)
{
	struct chunk *c = *arena;
	char *p;

	if (c == NULL || c->used + n + 1 > sizeof c->data) {
		if ((c = malloc(sizeof *c)) == NULL)
			bx_die("out of memory");
		c->next = *arena;
		c->used = 0;
		*arena = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
civil(long z, int *y, int *m, int *d)
{
	long era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = (z - era * 146097) - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static const char *const surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
	"徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗" };
static const char *const given[] = {
	"伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊",
	"军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "兰",
	"霞", "平", "刚", "桂", "华", "建", "国", "红", "文", "玉" };
static const char *const regions[] = {
	"110105", "110108", "310104", "440305", "510107", "330106" };
static const char *const jobs[] = {
	"退休", "社区工作者", "教师", "医生", "工程师", "个体经营", "公务员", "企业职工" };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void
person_name(uint64_t k, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", surnames[k % N_OF(surnames)],
	    given[(k / N_OF(surnames)) % N_OF(given)],
	    k % 3 ? given[(k / 7) % N_OF(given)] : "");
}

/*
 * The value of column cd of table t for row k: 0 NULL, 1 text in buf,
 * 2 integer in *iv. Columns not named here return -1 (filled by type).
 */
static int
gen_value(int t, const struct col_def *cd, uint64_t k, const struct bx_refs *refs, char *buf,
    size_t cap, int64_t *iv)
{
	const char *n = cd->name;
#define IS(s) (strcmp(n, (s)) == 0)
#define TEXT(...) (snprintf(buf, cap, __VA_ARGS__), 1)
	/*
	 * Birth date: unique per thousand rows, so (birth, sequence) is unique
	 * (the steps of 20 days exceed k % 17). Births end in 1994, so a join
	 * (20-23 years on) and a full membership (a year later) are in the
	 * past: with steps of 23 days the last thousand of 10^6 rows had
	 * full-membership dates after today, and the server refused them.
	 */
	long birth = -10957 + (long)((k / 1000) % 1000) * 20 + (long)(k % 17);
	int by, bm, bd;

	civil(birth, &by, &bm, &bd);
	switch (t) {
	case TBL_ORG: {
		/*
		 * A branch under a community, a community under the street, a
		 * street under a district: the tree rule.
		 */
		int community = refs->org_kind != NULL && strcmp(refs->org_kind, "community") == 0;
		int street = refs->org_kind != NULL && strcmp(refs->org_kind, "street") == 0;
		if (IS("code"))
			return TEXT("%s%03llu", street ? "S" : community ? "C" : "B", (unsigned long long)k);
		if (IS("name"))
			return street ? TEXT("第%llu街道党工委", (unsigned long long)k + 1) :
			    community ? TEXT("幸福里第%llu社区党委", (unsigned long long)k + 1) :
			    TEXT("幸福里社区第%llu党支部", (unsigned long long)k + 1);
		if (IS("kind")) return TEXT("%s", street ? "street" : community ? "community" : "branch");
		if (IS("branch_type")) return community || street ? 0 : TEXT("residential");
		if (IS("parent_id")) return TEXT("%s", refs->org_id);
		if (IS("secretary")) { person_name(k + 11, buf, cap); return 1; }
		if (IS("founded_on")) return TEXT("2015-07-01");
		if (IS("dissolved")) { *iv = 0; return 2; }
		return IS("term_start") || IS("term_end") ? 0 : -1;
	}
	case TBL_MEMBER:
		if (IS("name")) { person_name(k, buf, cap); return 1; }
		if (IS("gender")) return TEXT("%s", (k % 1000) % 2 ? "male" : "female");
		if (IS("ethnicity")) return TEXT("%s", k % 20 ? "汉族" : "回族");
		if (IS("id_number")) {
			char s17[18];
			snprintf(s17, sizeof s17, "%s%04d%02d%02d%03u", regions[k % N_OF(regions)],
			    by, bm, bd, (unsigned)(k % 1000));
			return TEXT("%s%c", s17, id_number_check_char(s17));
		}
		if (IS("birth_date")) return TEXT("%04d-%02d-%02d", by, bm, bd);
		if (IS("org_id")) return TEXT("%s", refs->org_id);
		if (IS("join_date"))
			return TEXT("%04d-%02d-%02d", by + 20 + (int)(k % 4), bm, bd > 28 ? 28 : bd);
		if (IS("full_date")) {
			if (k % 10 == 0)
				return 0;   /* probationary */
			return TEXT("%04d-%02d-%02d", by + 21 + (int)(k % 4), bm, bd > 28 ? 28 : bd);
		}
		if (IS("category")) return TEXT("%s", k % 10 == 0 ? "probationary" : "full");
		if (IS("job")) return TEXT("%s", jobs[k % N_OF(jobs)]);
		if (IS("phone")) return TEXT("13%09llu", (unsigned long long)((k * 7919) % 1000000000));
		if (IS("address"))
			return TEXT("和平街道幸福里小区%u号楼%u单元%u室", (unsigned)(k % 40 + 1),
			    (unsigned)(k % 6 + 1), (unsigned)(100 * (k % 18 + 1) + k % 4 + 1));
		if (IS("standing")) return TEXT("normal");
		if (IS("lost_contact") || IS("relocated")) { *iv = 0; return 2; }
		if (IS("mobile")) { *iv = k % 50 == 0; return 2; }
		if (IS("flow_to")) return k % 50 == 0 ? TEXT("广东省深圳市南山区") : 0;
		if (IS("retired")) { *iv = by < 1964; return 2; }
		if (IS("in_service")) { *iv = by >= 1964; return 2; }
		if (IS("education")) return -1;   /* by type: the enum's values in turn */
		return IS("lost_since") || IS("lost_note") || IS("report_org_id") ? 0 : -1;
	case TBL_MEETING:
		if (IS("org_id")) return TEXT("%s", refs->org_id);
		if (IS("held_on")) {
			int y, m, d;
			civil(18262 + (long)(k % 1800), &y, &m, &d);   /* from 2020-01-01 */
			return TEXT("%04d-%02d-%02d", y, m, d);
		}
		if (IS("topic"))
			return TEXT("第%llu次支部会议：学习贯彻党的二十大精神", (unsigned long long)k + 1);
		if (IS("host")) { person_name(k + 3, buf, cap); return 1; }
		if (IS("recorder")) { person_name(k + 5, buf, cap); return 1; }
		if (IS("minutes"))
			return TEXT("会议由支部书记主持，传达学习上级文件精神，围绕社区治理、"
			    "志愿服务和党员教育管理进行讨论，形成决议三项，明确责任人和完成时限。"
			    "（记录编号 %llu）", (unsigned long long)k);
		return -1;
	case TBL_ATTENDANCE: {
		size_t per = refs->nmeetings && refs->nmembers ?
		    (refs->nmembers < 1000 ? refs->nmembers : 1000) : 1;
		size_t mt = (size_t)(k / per);
		if (IS("meeting_id"))
			return refs->nmeetings ? TEXT("%s", refs->meetings[mt % refs->nmeetings]) : -1;
		if (IS("member_id"))
			return refs->nmembers ? TEXT("%s",
			    refs->members[(mt * 7919 + k % per) % refs->nmembers]) : -1;
		if (IS("status"))
			return TEXT("%s", k % 20 == 0 ? "excused" : k % 50 == 1 ? "absent" : "present");
		if (IS("reason")) return k % 20 == 0 ? TEXT("因病请假") : 0;
		return -1;
	}
	default:
		return -1;
	}
#undef IS
#undef TEXT
}

/* A column this generator does not know: a plausible value when required. */
static int
gen_by_type(const struct col_def *cd, uint64_t k, const struct bx_refs *refs, char *buf,
    size_t cap, int64_t *iv)
{
	size_t nv = 0;

	/* Optional columns stay NULL: an optional enum (left_reason) has rules of its own. */
	if (cd->type == COL_ENUM && cd->enum_vals != NULL && (cd->flags & COLF_REQUIRED)) {
		while (cd->enum_vals[nv] != NULL)
			nv++;
		snprintf(buf, cap, "%s", cd->enum_vals[k % nv]);
		return 1;
	}
	if (!(cd->flags & COLF_REQUIRED))
		return 0;
	switch (cd->type) {
	case COL_INT:
	case COL_BOOL:
		*iv = 0;
		return 2;
	case COL_DATE:
		snprintf(buf, cap, "2000-01-01");
		return 1;
	case COL_REF:
		if (strcmp(cd->ref_table, "org") == 0 && refs->org_id != NULL)
			snprintf(buf, cap, "%s", refs->org_id);
		else if (strcmp(cd->ref_table, "member") == 0 && refs->nmembers)
			snprintf(buf, cap, "%s", refs->members[k % refs->nmembers]);
		else if (strcmp(cd->ref_table, "meeting") == 0 && refs->nmeetings)
			snprintf(buf, cap, "%s", refs->meetings[k % refs->nmeetings]);
		else
			return 0;
		return 1;
	default:
		snprintf(buf, cap, "基准");
		return 1;
	}
}

void
bx_rows_make(struct bx_rows *rs, int t, uint64_t first, size_t n, const struct bx_refs *refs)
{
	const struct table_def *td = &schema_tables[t];
	char buf[4096];

	memset(rs, 0, sizeof *rs);
	rs->t = t;
	rs->ncols = td->ncols;
	rs->n = n;
	if ((rs->vals = calloc(n * (size_t)td->ncols + 1, sizeof *rs->vals)) == NULL ||
	    (rs->ids = calloc(n + 1, sizeof *rs->ids)) == NULL)
		bx_die("out of memory for %zu rows", n);
	for (size_t i = 0; i < n; i++) {
		uint64_t k = first + i;
		Tongxin__Value *v = &rs->vals[i * (size_t)td->ncols];
		if (id_new(rs->ids[i]) != 0)
			bx_die("id_new failed");
		for (int c = 0; c < td->ncols; c++) {
			int64_t iv = 0;
			int kind = gen_value(t, &td->cols[c], k, refs, buf, sizeof buf, &iv);
			if (kind < 0)
				kind = gen_by_type(&td->cols[c], k, refs, buf, sizeof buf, &iv);
			if (kind == 1) {
				size_t len = strlen(buf);
				if (td->cols[c].max_len > 0 && len > (size_t)td->cols[c].max_len)
					len = (size_t)td->cols[c].max_len;
				value_set_text(&v[c], arena_put(&rs->arena, buf, len));
				rs->bytes += len;
			} else if (kind == 2) {
				value_set_int(&v[c], iv);
				rs->bytes += 1;
			} else {
				value_set_null(&v[c]);
			}
		}
	}
}

void
bx_rows_free(struct bx_rows *rs)
{
	struct chunk *c = rs->arena, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(rs->vals);
	free(rs->ids);
	memset(rs, 0, sizeof *rs);
}

sqlite3_stmt *
bx_plain_prepare(sqlite3 *db, int t, int server)
{
	const struct table_def *td = &schema_tables[t];
	char sql[8192];
	size_t n;
	int np = td->ncols + (server ? 7 : 2);
	sqlite3_stmt *st;

	n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (id", td->name);
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
	n += (size_t)snprintf(sql + n, sizeof sql - n, server ?
	    ", _version, _deleted, _scope, _scope2, _hlc, _device) VALUES (" : ", _version) VALUES (");
	for (int i = 1; i <= np; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?%d", i > 1 ? ", " : "", i);
	snprintf(sql + n, sizeof sql - n, ")");
	if ((st = db_prepare(db, sql)) == NULL)
		bx_die("cannot prepare %s", sql);
	return st;
}

void
bx_plain_bind(sqlite3_stmt *st, int t, const char *id, const Tongxin__Value *vals,
    uint64_t version, const struct bx_srv_cols *srv)
{
	int nc = schema_tables[t].ncols;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	for (int c = 0; c < nc; c++)
		value_bind_static(st, c + 2, &vals[c]);
	sqlite3_bind_int64(st, nc + 2, (sqlite3_int64)version);
	if (srv != NULL) {
		sqlite3_bind_int(st, nc + 3, 0);
		sqlite3_bind_text(st, nc + 4, srv->scope, -1, SQLITE_STATIC);
		sqlite3_bind_null(st, nc + 5);
		sqlite3_bind_int64(st, nc + 6, (sqlite3_int64)srv->hlc);
		sqlite3_bind_text(st, nc + 7, srv->device, -1, SQLITE_STATIC);
	}
}

void
bx_step(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		bx_die("plain insert failed: %s", sqlite3_errmsg(db));
}

void
bx_exec(sqlite3 *db, const char *sql)
{
	char err[512] = "";

	if (db_exec(db, sql, err, sizeof err) != 0)
		bx_die("%s: %s", sql, err);
}

Tongxin__Txn *
bx_txn_make(const struct bx_rows *rs, size_t first, size_t n, uint64_t seq, uint64_t hlc)
{
	Tongxin__Txn *tx = malloc(sizeof *tx);

	if (tx == NULL)
		bx_die("out of memory");
	tongxin__txn__init(tx);
	if ((tx->changes = calloc(n ? n : 1, sizeof *tx->changes)) == NULL)
		bx_die("out of memory");
	tx->seq = seq;
	tx->hlc = hlc;
	tx->local_time_ms = now_ms();
	tx->operator_name = "bench";
	for (size_t i = 0; i < n; i++) {
		const Tongxin__Value *v = bx_row(rs, first + i);
		Tongxin__Change *c = calloc(1, sizeof *c);
		if (c == NULL)
			bx_die("out of memory");
		tongxin__change__init(c);
		c->table = (uint32_t)rs->t;
		c->row_id = (char *)rs->ids[first + i];
		c->op = TONGXIN__CHANGE__OP__OP_INSERT;
		if ((c->cols = calloc((size_t)rs->ncols, sizeof *c->cols)) == NULL ||
		    (c->values = calloc((size_t)rs->ncols, sizeof *c->values)) == NULL)
			bx_die("out of memory");
		for (int k = 0; k < rs->ncols; k++) {
			if (v[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET)
				continue;
			c->cols[c->n_cols++] = (uint32_t)k;
			c->values[c->n_values++] = (Tongxin__Value *)&v[k];
		}
		tx->changes[tx->n_changes++] = c;
	}
	return tx;
}

void
bx_txn_free(Tongxin__Txn *tx)
{
	if (tx == NULL)
		return;
	for (size_t i = 0; i < tx->n_changes; i++) {
		free(tx->changes[i]->cols);
		free(tx->changes[i]->values);
		free(tx->changes[i]);
	}
	free(tx->changes);
	free(tx);
}

/* --- figures --------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double
bx_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double
bx_ratio_median(const double *num, const double *den, int n, double *lo, double *hi)
{
	double r[BX_MAX_RUNS], m;

	if (n > BX_MAX_RUNS)
		n = BX_MAX_RUNS;
	for (int k = 0; k < n; k++)
		r[k] = num[k] / den[k];
	m = bx_median(r, n);   /* sorts r */
	if (lo != NULL)
		*lo = n > 0 ? r[0] : 0;
	if (hi != NULL)
		*hi = n > 0 ? r[n - 1] : 0;
	return m;
}

const char *
bx_commas(double x, char *buf, size_t cap)
{
	char tmp[64];
	long long v = llround(x);
	int len, out = 0, neg = v < 0;

	snprintf(tmp, sizeof tmp, "%lld", neg ? -v : v);
	len = (int)strlen(tmp);
	if (neg && (size_t)out + 1 < cap)
		buf[out++] = '-';
	for (int i = 0; i < len && (size_t)out + 2 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[out++] = ',';
		buf[out++] = tmp[i];
	}
	buf[out] = '\0';
	return buf;
}

long
bx_arg_long(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0)
		bx_die("%s: expected a positive number, got \"%s\"", what, s);
	return v;
}

/* --- streets, offices and syncs (issue 11's benchmarks) --------------------- */

void
bx_street_conf(struct bx_street *st, const char *lines)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/tongxind.conf", st->dir);
	if ((f = fopen(path, "a")) == NULL)
		bx_die("cannot append to %s: %s", path, strerror(errno));
	fprintf(f, "\n# added by the benchmark harness\n%s\n", lines);
	if (fclose(f) != 0)
		bx_die("cannot write %s: %s", path, strerror(errno));
}

void
bx_street_unlimited(struct bx_street *st, int sessions)
{
	char lines[512];
	int max = sessions + 64;

	/*
	 * max_preauth must stay below max_sessions and the per-address cap
	 * cannot exceed it (server/conf.c conf_limits); all connections come
	 * from 127.0.0.1.
	 */
	snprintf(lines, sizeof lines, "max_sessions = %d\nmax_preauth = %d\n"
	    "max_preauth_per_address = %d\nnew_connections_per_second = 1000000\n"
	    "idle_timeout = 3600\nhandshake_timeout = 60", max, max - 1, max - 1);
	bx_street_conf(st, lines);
}

void
bx_enroll_org(struct bx_street *st, const char *org_code, const char *device, const char *path)
{
	char *argv[] = { (char *)bx_tongxind(), "enroll", st->dir, "--org", (char *)org_code,
	    "--device", (char *)device, "--out", (char *)path, NULL };

	if (bx_run(argv, st->log) != 0) {
		log_tail(st->log);
		bx_die("%s enroll --org %s failed", bx_tongxind(), org_code);
	}
}

void
bx_enroll_mem(struct bx_street *st, const char *org_code, const char *prefix, int n,
    struct pki_cred *creds)
{
	char err[1024] = "";
	struct store *s;

	if ((s = store_open(st->dir, 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	for (int i = 0; i < n; i++) {
		struct pki_identity id;
		struct store_device d;
		memset(&id, 0, sizeof id);
		snprintf(id.device, sizeof id.device, "%s-%d", prefix, i);
		snprintf(id.org_code, sizeof id.org_code, "%s", org_code);
		snprintf(id.role, sizeof id.role, "office");
		if (id_new(id.device_id) != 0 ||
		    pki_device_issue(st->dir, &id, 3650, &creds[i], err, sizeof err) != 0)
			bx_die("enroll %s: %s", id.device, err[0] ? err : "id_new failed");
		memset(&d, 0, sizeof d);
		snprintf(d.id, sizeof d.id, "%s", id.device_id);
		snprintf(d.name, sizeof d.name, "%s", id.device);
		snprintf(d.org_code, sizeof d.org_code, "%s", id.org_code);
		snprintf(d.role, sizeof d.role, "%s", id.role);
		snprintf(d.serial, sizeof d.serial, "%s", id.serial);
		d.enrolled_at = now_ms();
		if (store_device_add(s, &d, err, sizeof err) != 0)
			bx_die("enroll %s: %s", id.device, err);
	}
	store_close(s);
}

/* Copy the regular files of directory from into directory to (made 0700). */
static void
copy_dir(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;

	if (d == NULL || mkdir(to, 0700) != 0)
		bx_die("copy %s to %s: %s", from, to, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		char a[4400], b[4400], buf[1 << 16];
		struct stat sb;
		int in, out;
		ssize_t n;
		snprintf(a, sizeof a, "%s/%s", from, e->d_name);
		snprintf(b, sizeof b, "%s/%s", to, e->d_name);
		if (stat(a, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if ((in = open(a, O_RDONLY)) < 0 ||
		    (out = open(b, O_WRONLY | O_CREAT | O_TRUNC, sb.st_mode & 0777)) < 0)
			bx_die("copy %s: %s", a, strerror(errno));
		while ((n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n)
				bx_die("copy to %s: %s", b, strerror(errno));
		close(in);
		if (close(out) != 0)
			bx_die("copy to %s: %s", b, strerror(errno));
	}
	closedir(d);
}

void
bx_street_copy(const struct bx_street *from, struct bx_street *to, const char *base)
{
	if (from->pid != 0)
		bx_die("copying a running street");
	*to = *from;
	to->pid = 0;
	snprintf(to->dir, sizeof to->dir, "%s/srv", base);
	snprintf(to->log, sizeof to->log, "%s/server.log", base);
	copy_dir(from->dir, to->dir);
}

/* Push one transaction of rows as the street's device; returns nothing, dies on refusal. */
static void
push_rows_once(struct store *s, const struct store_actor *a, const struct bx_rows *rs, uint64_t seq)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	Tongxin__Txn *tx = bx_txn_make(rs, 0, rs->n, seq, hlc_next(0));
	char err[1024] = "";

	req.txns = &tx;
	req.n_txns = 1;
	if (store_push(s, a, &req, &resp, err, sizeof err) != 0)
		bx_die("store_push: %s", err);
	if (resp->results[0]->status != TONGXIN__TXN_RESULT__STATUS__APPLIED)
		bx_die("pushing %s: refused: %s", schema_tables[rs->t].name, resp->results[0]->reason);
	tongxin__push_response__free_unpacked(resp, NULL);
	bx_txn_free(tx);
}

void
bx_office_init(struct bx_office *o, const char *base)
{
	struct bx_refs refs;
	struct bx_rows comm, branch;
	struct store_actor a;
	struct pki_cred cred;
	struct store *s;
	char sb[4200], addr[300], err[1024] = "";
	static char devid[40];

	memset(o, 0, sizeof *o);
	bx_street_init(&o->st, base);
	snprintf(sb, sizeof sb, "%s/street.bundle", base);
	bx_enroll(&o->st, "bench-street", sb);
	if (pki_bundle_read(sb, &cred, addr, sizeof addr, err, sizeof err) != 0)
		bx_die("%s", err);
	snprintf(devid, sizeof devid, "%s", cred.id.device_id);
	pki_cred_clear(&cred);
	memset(&a, 0, sizeof a);
	a.device_id = devid;
	a.device_name = "bench-street";
	a.role = "office";
	a.scope = o->st.scope;
	a.operator_name = "bench";
	memset(&refs, 0, sizeof refs);
	refs.org_id = o->st.street_id;
	refs.org_kind = "community";
	bx_rows_make(&comm, TBL_ORG, 0, 1, &refs);
	refs.org_id = comm.ids[0];
	refs.org_kind = NULL;
	bx_rows_make(&branch, TBL_ORG, 0, 1, &refs);
	if ((s = store_open(o->st.dir, 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	push_rows_once(s, &a, &comm, 1);
	push_rows_once(s, &a, &branch, 2);
	store_close(s);
	snprintf(o->comm_id, sizeof o->comm_id, "%s", comm.ids[0]);
	snprintf(o->branch_id, sizeof o->branch_id, "%s", branch.ids[0]);
	bx_rows_free(&comm);
	bx_rows_free(&branch);
	snprintf(o->bundle, sizeof o->bundle, "%s/office.bundle", base);
	bx_enroll_org(&o->st, "C000", "bench-office", o->bundle);
}

void
bx_sync(struct replica *r, const struct bx_street *st, int push_only, int pull_only,
    struct sync_report *rep)
{
	struct sync_opts o;
	enum sync_fail f;
	char err[1024] = "";

	memset(&o, 0, sizeof o);
	o.server = st->listen;
	o.operator_name = "bench";
	o.timeout_ms = 600000;
	o.push_only = push_only;
	o.pull_only = pull_only;
	if (sync_run(r, &o, rep, &f, err, sizeof err) != 0)
		bx_die("sync_run: %s", err);
}

/* --- child processes and memory ------------------------------------------- */

const char *
bx_tongxin(void)
{
	const char *p = getenv("TONGXIN");

	if (p != NULL && *p != '\0')
		return p;
#ifdef BX_TONGXIN
	return BX_TONGXIN;
#else
	return "build/tongxin";
#endif
}

long
bx_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur;
}

long
bx_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

int
bx_child(char *const argv[], const char *log, double *secs, long *maxrss_kb, size_t *out_bytes)
{
	struct rusage ru;
	size_t total = 0;
	int pfd[2], status;
	double t0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (pipe(pfd) != 0)
		bx_die("pipe: %s", strerror(errno));
	t0 = bx_now();
	if ((pid = fork()) < 0)
		bx_die("fork: %s", strerror(errno));
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (in >= 0)
			dup2(in, 0);
		if (fd >= 0)
			dup2(fd, 2);
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char buf[1 << 16];
		ssize_t n = read(pfd[0], buf, sizeof buf);
		if (n > 0)
			total += (size_t)n;
		else if (n == 0 || errno != EINTR)
			break;
	}
	close(pfd[0]);
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			bx_die("wait4: %s", strerror(errno));
	if (secs != NULL)
		*secs = bx_now() - t0;
	if (maxrss_kb != NULL)
		*maxrss_kb = ru.ru_maxrss;
	if (out_bytes != NULL)
		*out_bytes = total;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* --- goals ----------------------------------------------------------------- */

void
bx_goal(const char *what, int meets, const char *figure_fmt, ...)
{
	const char *sum = getenv("BENCH_SUMMARY");
	char fig[512];
	va_list ap;

	va_start(ap, figure_fmt);
	vsnprintf(fig, sizeof fig, figure_fmt, ap);
	va_end(ap);
	printf("    goal: %s; here %s — %s\n", what, fig, meets ? "meets" : "MISSES");
	fflush(stdout);
	if (sum != NULL && *sum != '\0') {
		FILE *f = fopen(sum, "a");
		if (f != NULL) {
			fprintf(f, "%s\t%s\t%s\n", what, fig, meets ? "meets" : "MISSES");
			fclose(f);
		}
	}
}

/* --- populating a store, and a fresh replica's bootstrap ------------------- */

/* Apply one batch of transactions as who and free them. */
static void
push_batch(struct store *s, const struct store_actor *who, Tongxin__Txn **batch, size_t nb,
    int t)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	char err[1024] = "";

	req.txns = batch;
	req.n_txns = nb;
	if (store_push(s, who, &req, &resp, err, sizeof err) != 0)
		bx_die("store_push: %s", err);
	for (size_t j = 0; j < resp->n_results; j++)
		if (resp->results[j]->status != TONGXIN__TXN_RESULT__STATUS__APPLIED)
			bx_die("populating %s: transaction rejected: %s", schema_tables[t].name,
			    resp->results[j]->reason);
	tongxin__push_response__free_unpacked(resp, NULL);
	for (size_t j = 0; j < nb; j++)
		bx_txn_free(batch[j]);
}

void
bx_push_rows(struct store *s, const struct store_actor *who, const struct bx_rows *rs,
    uint64_t *seq, uint64_t *hlc)
{
	Tongxin__Txn *batch[BX_PUSH_TXNS];
	size_t nb = 0, bytes = 0;

	for (size_t i = 0; i < rs->n; i += BX_TXN_ROWS) {
		Tongxin__Txn *tx;
		size_t len;
		*hlc = hlc_next(*hlc);
		tx = bx_txn_make(rs, i, i + BX_TXN_ROWS < rs->n ? BX_TXN_ROWS : rs->n - i, (*seq)++,
		    *hlc);
		len = tongxin__txn__get_packed_size(tx);
		if (nb > 0 && (nb == BX_PUSH_TXNS || bytes + len > BX_PUSH_BYTES)) {
			push_batch(s, who, batch, nb, rs->t);
			nb = bytes = 0;
		}
		batch[nb++] = tx;
		bytes += len;
	}
	if (nb > 0)
		push_batch(s, who, batch, nb, rs->t);
}

struct store *
bx_store_open(const struct bx_street *st)
{
	char err[1024] = "";
	struct store *s = store_open(st->dir, 0, err, sizeof err);

	if (s == NULL)
		bx_die("store_open: %s", err);
	return s;
}

int64_t
bx_count(struct replica *r, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		bx_die("%s", sqlite3_errmsg(replica_db(r)));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

double
bx_bootstrap(struct bx_street *st, const char *path, const char *bundle, uint64_t *rows,
    const int64_t expect[TBL_COUNT])
{
	struct replica *r = bx_replica_new(path, bundle);
	struct sync_opts o;
	struct sync_report rep;
	enum sync_fail f;
	char err[1024] = "";
	double t0, t1;

	memset(&o, 0, sizeof o);
	o.server = st->listen;
	o.operator_name = "bench";
	o.timeout_ms = 120000;
	bx_server_start(st);
	bx_settle();
	t0 = bx_now();
	if (sync_run(r, &o, &rep, &f, err, sizeof err) != 0)
		bx_die("sync_run: %s", err);
	t1 = bx_now();
	bx_server_stop(st);
	for (int t = 0; t < TBL_COUNT; t++)
		if (expect[t] >= 0 && bx_count(r, schema_tables[t].name) != expect[t])
			bx_die("the new replica holds %lld %s rows, expected %lld",
			    (long long)bx_count(r, schema_tables[t].name), schema_tables[t].name,
			    (long long)expect[t]);
	*rows = rep.pulled_rows;
	replica_close(r);
	return t1 - t0;
}

void
bx_plain(const char *path, const char *bundle, struct bx_rows *const *sets, int nsets,
    double *marks)
{
	struct replica *r = bx_replica_new(path, bundle);
	sqlite3 *db = replica_db(r);
	uint64_t version = 0;
	size_t in_txn = 0;
	double t0;

	bx_settle();
	t0 = bx_now();

	for (int i = 0; i < nsets; i++) {
		sqlite3_stmt *st = bx_plain_prepare(db, sets[i]->t, 0);
		for (size_t j = 0; j < sets[i]->n; j++) {
			if (in_txn == 0)
				bx_exec(db, "BEGIN IMMEDIATE");
			bx_plain_bind(st, sets[i]->t, sets[i]->ids[j], bx_row(sets[i], j), ++version, NULL);
			bx_step(db, st);
			if (++in_txn == BX_PAGE_ROWS) {
				bx_exec(db, "COMMIT");
				in_txn = 0;
			}
		}
		sqlite3_finalize(st);
		if (in_txn > 0 && (i + 1 == nsets || marks[i] >= 0)) {
			bx_exec(db, "COMMIT");
			in_txn = 0;
		}
		if (marks[i] >= 0)
			marks[i] = bx_now() - t0;
	}
	if (in_txn > 0)
		bx_exec(db, "COMMIT");
	marks[nsets - 1] = bx_now() - t0;
	replica_close(r);
}
