/* history.c — the loader of cases from before Hearth (see history.h).
 *
 * The whole file is read and checked before anything is written: every
 * row's fields (one error per row, naming its line and column), then each
 * case's events in date order (a referral first, one decision, nothing
 * after the closure), because a case's rows may be anywhere in the file.
 * Rows are held compactly — a case table keyed by case_ref (open
 * addressing), an array of events, one pool of text — so two million
 * events take a few hundred megabytes at most.  The good cases are then
 * written in one transaction with two prepared statements reused for
 * every row (db.h caches them by the SQL literal), in case order so the
 * events' case index grows at its end. */
#include "core/history.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/csv.h"
#include "base/money.h"
#include "base/valid.h"
#include "core/audit.h"
#include "core/school.h"
#include "store/db.h"

#define KEEP_ERRORS 10000     /* row errors stored per load */
#define REF_MAX 64
#define WORKER_MAX 120
#define DETAIL_MAX 1000
#define BAD_FLOOR 10          /* bad rows always tolerated (unless strict) */

const struct history_col_info history_columns[HC_COUNT] = {
	[HC_CASE_REF] = {"case_ref", true, "The old system's case reference, e.g. LST-2019-0042:"
		" every row of a case carries it"},
	[HC_FAMILY_REF] = {"family_ref", true, "The old family reference (families are counted"
		" by it); may be left empty on a case's later rows"},
	[HC_SCHOOL_URN] = {"school_urn", false, "The referring school's URN (6 digits), if any"},
	[HC_UPN] = {"upn", false, "The child's UPN, if known: links the case to the pupil"},
	[HC_WORKER] = {"worker", false, "The worker's name"},
	[HC_EVENT] = {"event", true, "referred, accepted, signposted, declined, allocated,"
		" step_down, step_up, closed or commission"},
	[HC_DATE] = {"date", true, "When: YYYY-MM-DD (or DD/MM/YYYY), not in the future"},
	[HC_SOURCE] = {"source", false, "referred only: school, agency, step_down or self"},
	[HC_REASON] = {"reason", false, "closed only: outcomes_met, stepped_up, disengaged,"
		" moved_away or other"},
	[HC_AMOUNT] = {"amount", false, "commission only: its cost, e.g. 450.00 or £1,200"},
	[HC_DETAIL] = {"detail", false, "Free text, e.g. what was commissioned"},
};

enum kind { K_REFERRED, K_ACCEPTED, K_SIGNPOSTED, K_DECLINED, K_ALLOCATED, K_STEP_DOWN,
	    K_STEP_UP, K_CLOSED, K_COMMISSION, K_COUNT };
static const char *const kinds[] = {"referred", "accepted", "signposted", "declined",
	"allocated", "step_down", "step_up", "closed", "commission", NULL};
/* Same-day events sort in the order work happens: a referral, its
 * decision, allocation, the work, the closure. */
static const uint8_t kind_rank[K_COUNT] = {0, 1, 1, 1, 2, 3, 3, 9, 3};
static const char *const sources[] = {"school", "agency", "step_down", "self", NULL};
static const char *const reasons[] = {"outcomes_met", "stepped_up", "disengaged", "moved_away",
	"other", NULL};

/* ---- the load's memory --------------------------------------------------- */

struct hcase {
	uint32_t ref, family, worker;   /* pool offsets; 0 is "" */
	int64_t school_id;              /* 0: none */
	char upn[14];                   /* "" for none */
	int32_t first_line;
	int32_t nrows;                  /* good rows held (in ev) */
	bool bad;                       /* not to be loaded */
	bool before;                    /* loaded by an earlier file */
};

struct hev {
	int32_t c, line;                /* case index, file line */
	hday date;
	uint8_t kind, source, reason;   /* source, reason: index + 1, 0 for none */
	int64_t amount;                 /* pence, -1 for none */
	uint32_t detail;                /* pool offset */
};

struct school_ref {
	char urn[8];
	int64_t id;
};

struct load {
	struct db *db;
	const struct audit_who *who;
	const struct history_opts *o;
	struct history_report *rep;
	hday today;
	char sha[65];
	struct school_ref *schools;
	size_t nschools;
	char *pool;
	size_t plen, pcap;
	struct hcase *cases;
	size_t ncases, ccap;
	uint32_t *tab;                  /* case index + 1; 0 empty */
	size_t tcap;
	struct hev *ev;
	size_t nev, ecap;
	struct errinfo *kept;
	size_t nkept, kcap;
	int col[HC_COUNT];              /* field index of each column, -1 absent */
	uint32_t *hdr;                  /* header names (pool), for error messages */
	size_t nhdr;
};

static uint32_t pool_add(struct load *l, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (l->plen + n + 1 > l->pcap) {
		while (l->plen + n + 1 > l->pcap)
			l->pcap = l->pcap ? 2 * l->pcap : 1u << 20;
		l->pool = xrealloc(l->pool, l->pcap);
	}
	uint32_t off = (uint32_t)l->plen;
	memcpy(l->pool + off, p, n);
	l->pool[off + n] = 0;
	l->plen += n + 1;
	return off;
}

static const char *S(const struct load *l, uint32_t off)
{
	return l->pool + off;
}

/* ---- errors -------------------------------------------------------------- */

static void keep(struct load *l, const struct errinfo *e)
{
	if (l->nkept == KEEP_ERRORS)
		return;
	if (l->nkept == l->kcap)
		l->kept = xrealloc(l->kept, (l->kcap = l->kcap ? 2 * l->kcap : 256) * sizeof *l->kept);
	l->kept[l->nkept++] = *e;
}

/* A row's error: counted bad, kept; returns false so checks can
 * `return row_err(...)`. */
static bool row_err(struct load *l, long line, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool row_err(struct load *l, long line, const char *field, const char *fmt, ...)
{
	struct errinfo e = {.code = HE_INVALID, .line = (int)line};
	va_list ap;
	snprintf(e.field, sizeof e.field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof e.message, fmt, ap);
	va_end(ap);
	l->rep->rows_bad++;
	keep(l, &e);
	return false;
}

static int file_err(struct load *l, const char *field, const char *fmt, const char *arg)
{
	struct errinfo e;
	errinfo_set(&e, HE_INVALID, field, fmt, arg);
	keep(l, &e);
	snprintf(l->rep->message, sizeof l->rep->message, "%s", e.message);
	return HE_INVALID;
}

/* ---- cases by reference -------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(1099511628211);
	return h;
}

static size_t tab_slot(const struct load *l, const char *ref)
{
	size_t i = (size_t)hash_str(ref) & (l->tcap - 1);
	while (l->tab[i] && strcmp(S(l, l->cases[l->tab[i] - 1].ref), ref) != 0)
		i = (i + 1) & (l->tcap - 1);
	return i;
}

static void tab_grow(struct load *l)
{
	free(l->tab);
	l->tcap = l->tcap ? 2 * l->tcap : 4096;
	l->tab = xcalloc(l->tcap, sizeof *l->tab);
	for (size_t c = 0; c < l->ncases; c++)
		l->tab[tab_slot(l, S(l, l->cases[c].ref))] = (uint32_t)c + 1;
}

/* The case for ref, added (with line) if new; *is_new says which. */
static struct hcase *case_get(struct load *l, const char *ref, size_t n, long line, bool *is_new)
{
	if (4 * (l->ncases + 1) > 3 * l->tcap)
		tab_grow(l);
	size_t i = tab_slot(l, ref);
	*is_new = !l->tab[i];
	if (!*is_new)
		return &l->cases[l->tab[i] - 1];
	if (l->ncases == l->ccap)
		l->cases = xrealloc(l->cases, (l->ccap = l->ccap ? 2 * l->ccap : 1024) * sizeof *l->cases);
	struct hcase *c = &l->cases[l->ncases];
	memset(c, 0, sizeof *c);
	c->ref = pool_add(l, ref, n);
	c->first_line = (int32_t)line;
	l->tab[i] = (uint32_t)++l->ncases;
	return c;
}

/* ---- setup: schools and the cases already loaded ------------------------- */

static int cmp_urn(const void *a, const void *b)
{
	return strcmp(((const struct school_ref *)a)->urn, ((const struct school_ref *)b)->urn);
}

static int load_schools(struct load *l)
{
	size_t cap = 64;
	l->schools = xmalloc(cap * sizeof *l->schools);
	struct db_stmt *st = db_prepare(l->db, "SELECT urn, id FROM schools");
	while (db_next(st)) {
		if (l->nschools == cap)
			l->schools = xrealloc(l->schools, (cap *= 2) * sizeof *l->schools);
		snprintf(l->schools[l->nschools].urn, sizeof l->schools[0].urn, "%s", db_text(st, 0));
		l->schools[l->nschools++].id = db_int(st, 1);
	}
	if (l->nschools)
		qsort(l->schools, l->nschools, sizeof *l->schools, cmp_urn);
	return db_finalize(st);
}

static int64_t school_find(const struct load *l, const char *urn)
{
	struct school_ref key = {0};
	memcpy(key.urn, urn, strnlen(urn, sizeof key.urn - 1));
	const struct school_ref *s = bsearch(&key, l->schools, l->nschools, sizeof key, cmp_urn);
	return s ? s->id : 0;
}

static int load_before(struct load *l)
{
	struct db_stmt *st = db_prepare(l->db, "SELECT case_ref FROM history_cases");
	bool is_new;
	while (db_next(st)) {
		const char *ref = db_text(st, 0);
		struct hcase *c = case_get(l, ref, strlen(ref), 0, &is_new);
		c->before = c->bad = true;
	}
	return db_finalize(st);
}

/* ---- the file: its hash, its header -------------------------------------- */

static int file_sha(struct load *l)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	if (l->o->path) {
		int fd = open(l->o->path, O_RDONLY);
		if (fd < 0)
			return file_err(l, "file", "file: cannot open %s", l->o->path);
		unsigned char *blk = xmalloc(1 << 16);
		ssize_t n;
		while ((n = read(fd, blk, 1 << 16)) > 0)
			crypto_hash_sha256_update(&h, blk, (size_t)n);
		free(blk);
		close(fd);
		if (n < 0)
			return file_err(l, "file", "file: cannot read %s", l->o->path);
	} else {
		crypto_hash_sha256_update(&h, l->o->data, l->o->len);
	}
	crypto_hash_sha256_final(&h, d);
	sodium_bin2hex(l->sha, sizeof l->sha, d, sizeof d);
	return HE_OK;
}

/* "Case Ref" / "case-ref" / " CASE_REF " → "case_ref" into out. */
static void col_norm(const char *p, size_t n, char *out, size_t outsz)
{
	size_t k = 0;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n && k + 1 < outsz; i++) {
		char ch = p[i];
		out[k++] = ch == ' ' || ch == '-' ? '_' : ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
	}
	out[k] = 0;
}

static int read_header(struct load *l, struct csv_reader *rd)
{
	struct csv_record rec;
	int rc = csv_next(rd, &rec);
	if (rc == CSV_EOF || rc == CSV_E_EMPTY)
		return file_err(l, "file", "file: the file is empty%s", "");
	if (rc != CSV_OK)
		return file_err(l, "file", "file: the header cannot be read: %s", csv_errmsg(rd));
	if (csv_check_header(rd, &rec) != CSV_OK)
		return file_err(l, "file", "file: %s", csv_errmsg(rd));
	for (int c = 0; c < HC_COUNT; c++)
		l->col[c] = -1;
	l->hdr = xmalloc((rec.n ? rec.n : 1) * sizeof *l->hdr);
	l->nhdr = rec.n;
	size_t ulen = 0;
	for (size_t i = 0; i < rec.n; i++) {
		char name[64];
		col_norm(rec.f[i].p, rec.f[i].len, name, sizeof name);
		l->hdr[i] = pool_add(l, name, strlen(name));
		int c = 0;
		while (c < HC_COUNT && strcmp(history_columns[c].name, name) != 0)
			c++;
		if (c < HC_COUNT && l->col[c] < 0)
			l->col[c] = (int)i;
		else if (*name && ulen + strlen(name) + 3 < sizeof l->rep->unknown)
			ulen += (size_t)snprintf(l->rep->unknown + ulen, sizeof l->rep->unknown - ulen,
						 "%s%s", ulen ? ", " : "", name);
	}
	for (int c = 0; c < HC_COUNT; c++)
		if (history_columns[c].required && l->col[c] < 0)
			return file_err(l, history_columns[c].name, "file: the header has no %s column"
					" (see the list of columns)", history_columns[c].name);
	return HE_OK;
}

/* ---- one row ------------------------------------------------------------- */

struct fv {
	const char *p;
	size_t n;
};

/* Column c of rec, trimmed ({"", 0} when absent or empty). */
static struct fv field(const struct load *l, const struct csv_record *rec, int c)
{
	struct fv v = {"", 0};
	int i = l->col[c];
	if (i < 0 || (size_t)i >= rec->n)
		return v;
	v.p = rec->f[i].p;
	v.n = rec->f[i].len;
	while (v.n && (*v.p == ' ' || *v.p == '\t'))
		v.p++, v.n--;
	while (v.n && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	return v;
}

/* The index of v in words (compared as a column name is: any case, spaces
 * or hyphens for underscores), or -1. */
static int word_index(struct fv v, const char *const *words)
{
	char w[32];
	if (v.n >= sizeof w)
		return -1;
	col_norm(v.p, v.n, w, sizeof w);
	for (int i = 0; words[i]; i++)
		if (!strcmp(words[i], w))
			return i;
	return -1;
}

static bool text_ok(struct load *l, long line, int c, struct fv v, size_t max, bool required)
{
	const char *name = history_columns[c].name;
	if (!v.n)
		return required ? row_err(l, line, name, "%s: missing", name) : true;
	if (v.n > max)
		return row_err(l, line, name, "%s: keep it to %zu characters or fewer", name, max);
	if (!text_valid(v.p, v.n))
		return row_err(l, line, name, "%s: holds control characters", name);
	return true;
}

/* The event's own fields: kind, date, source, reason, amount, detail. */
static bool check_event(struct load *l, const struct csv_record *rec, struct hev *e)
{
	long line = rec->line;
	struct fv kind = field(l, rec, HC_EVENT), date = field(l, rec, HC_DATE);
	struct fv src = field(l, rec, HC_SOURCE), why = field(l, rec, HC_REASON);
	struct fv amt = field(l, rec, HC_AMOUNT), det = field(l, rec, HC_DETAIL);
	int k = word_index(kind, kinds);
	if (!kind.n)
		return row_err(l, line, "event", "event: missing");
	if (k < 0)
		return row_err(l, line, "event", "event: '%.40s' is not one of referred, accepted,"
			       " signposted, declined, allocated, step_down, step_up, closed,"
			       " commission", kind.p);
	e->kind = (uint8_t)k;
	char d[16];
	snprintf(d, sizeof d, "%.*s", (int)(date.n < 15 ? date.n : 15), date.p);
	if (!date.n)
		return row_err(l, line, "date", "date: missing");
	if (date.n > 10 || !date_parse(d, &e->date))
		return row_err(l, line, "date", "date: '%.20s' is not a date (YYYY-MM-DD)", d);
	if (e->date > l->today)
		return row_err(l, line, "date", "date: %s is in the future", d);
	int s = src.n ? word_index(src, sources) : -1;
	if (k == K_REFERRED && !src.n)
		return row_err(l, line, "source", "source: a referral needs its source (school,"
			       " agency, step_down or self)");
	if (src.n && k != K_REFERRED)
		return row_err(l, line, "source", "source: only a referred row has a source"
			       " (this row is %s)", kinds[k]);
	if (src.n && s < 0)
		return row_err(l, line, "source", "source: '%.40s' is not one of school, agency,"
			       " step_down, self", src.p);
	e->source = (uint8_t)(s + 1);
	int w = why.n ? word_index(why, reasons) : -1;
	if (k == K_CLOSED && !why.n)
		return row_err(l, line, "reason", "reason: a closure needs its reason (outcomes_met,"
			       " stepped_up, disengaged, moved_away or other)");
	if (why.n && k != K_CLOSED)
		return row_err(l, line, "reason", "reason: only a closed row has a reason"
			       " (this row is %s)", kinds[k]);
	if (why.n && w < 0)
		return row_err(l, line, "reason", "reason: '%.40s' is not one of outcomes_met,"
			       " stepped_up, disengaged, moved_away, other", why.p);
	e->reason = (uint8_t)(w + 1);
	e->amount = -1;
	if (k == K_COMMISSION && !amt.n)
		return row_err(l, line, "amount", "amount: a commission needs its cost");
	if (amt.n && k != K_COMMISSION)
		return row_err(l, line, "amount", "amount: only a commission row has an amount"
			       " (this row is %s)", kinds[k]);
	if (amt.n) {
		char a[48];
		snprintf(a, sizeof a, "%.*s", (int)(amt.n < 47 ? amt.n : 47), amt.p);
		if (amt.n > 40 || money_parse(a, &e->amount) != HE_OK)
			return row_err(l, line, "amount", "amount: '%s' is not an amount of money"
				       " (for example 450.00 or £1,200)", a);
	}
	if (!text_ok(l, line, HC_DETAIL, det, DETAIL_MAX, false))
		return false;
	e->detail = pool_add(l, det.p, det.n);
	return true;
}

/* A case-level value on a later row must agree with the case's. */
static bool same(struct load *l, long line, int c, uint32_t have, struct fv v, int32_t first)
{
	const char *h = S(l, have);
	if (!v.n || !*h || (strlen(h) == v.n && !memcmp(h, v.p, v.n)))
		return true;
	return row_err(l, line, history_columns[c].name, "%s: '%.60s' differs from '%.60s' on"
		       " line %d for the same case", history_columns[c].name, v.p, h, (int)first);
}

/* The case-level fields: school, UPN, worker, family, checked against the
 * case's earlier rows. */
static bool check_case(struct load *l, const struct csv_record *rec, struct hcase *c, bool is_new)
{
	long line = rec->line;
	struct fv fam = field(l, rec, HC_FAMILY_REF), urn = field(l, rec, HC_SCHOOL_URN);
	struct fv upn = field(l, rec, HC_UPN), wk = field(l, rec, HC_WORKER);
	if (!text_ok(l, line, HC_FAMILY_REF, fam, REF_MAX, is_new) ||
	    !text_ok(l, line, HC_WORKER, wk, WORKER_MAX, false))
		return false;
	int64_t school = 0;
	char u[16];
	if (urn.n) {
		snprintf(u, sizeof u, "%.*s", (int)(urn.n < 15 ? urn.n : 15), urn.p);
		if (!urn_valid(u))
			return row_err(l, line, "school_urn", "school_urn: '%s' is not a URN (6 digits)", u);
		if (!(school = school_find(l, u)))
			return row_err(l, line, "school_urn", "school_urn: no school in the partnership"
				       " has URN %s", u);
	}
	char upn_n[14] = "";
	if (upn.n) {
		snprintf(u, sizeof u, "%.*s", (int)(upn.n < 15 ? upn.n : 15), upn.p);
		if (upn.n > 13 || !upn_norm(u, upn_n))
			return row_err(l, line, "upn", "upn: '%s' is not a UPN (a letter and 12"
				       " characters, with the right check letter)", u);
	}
	if (!is_new) {
		if (!same(l, line, HC_FAMILY_REF, c->family, fam, c->first_line) ||
		    !same(l, line, HC_WORKER, c->worker, wk, c->first_line))
			return false;
		if (school && c->school_id && school != c->school_id)
			return row_err(l, line, "school_urn", "school_urn: differs from line %d for"
				       " the same case", (int)c->first_line);
		if (*upn_n && *c->upn && strcmp(upn_n, c->upn))
			return row_err(l, line, "upn", "upn: %s differs from %s on line %d for the"
				       " same case", upn_n, c->upn, (int)c->first_line);
	}
	if (!c->family)
		c->family = pool_add(l, fam.p, fam.n);
	if (!c->worker)
		c->worker = pool_add(l, wk.p, wk.n);
	if (!c->school_id)
		c->school_id = school;
	if (!*c->upn)
		memcpy(c->upn, upn_n, sizeof upn_n);
	return true;
}

static void add_event(struct load *l, const struct hev *e)
{
	if (l->nev == l->ecap)
		l->ev = xrealloc(l->ev, (l->ecap = l->ecap ? 2 * l->ecap : 65536) * sizeof *l->ev);
	l->ev[l->nev++] = *e;
}

static void check_row(struct load *l, const struct csv_record *rec)
{
	long line = rec->line;
	if (rec->bad_utf8 >= 0) {
		size_t i = (size_t)rec->bad_utf8;
		const char *name = i < l->nhdr ? S(l, l->hdr[i]) : "";
		row_err(l, line, name, "%s: not UTF-8 text (save the file as CSV UTF-8)", name);
		return;
	}
	struct fv ref = field(l, rec, HC_CASE_REF);
	if (!text_ok(l, line, HC_CASE_REF, ref, REF_MAX, true))
		return;
	char refz[REF_MAX + 1];
	snprintf(refz, sizeof refz, "%.*s", (int)ref.n, ref.p);
	bool is_new;
	struct hcase *c = case_get(l, refz, ref.n, line, &is_new);
	if (c->before) {
		row_err(l, line, "case_ref", "case_ref: %s was loaded by an earlier file", refz);
		return;
	}
	struct hev e = {.c = (int32_t)(c - l->cases), .line = (int32_t)line};
	bool ok = check_case(l, rec, c, is_new);
	c = &l->cases[e.c];
	if (ok && check_event(l, rec, &e)) {
		add_event(l, &e);
		c->nrows++;
	} else {
		c->bad = true;
	}
}

static int read_rows(struct load *l, struct csv_reader *rd)
{
	struct csv_record rec;
	int rc;
	while ((rc = csv_next(rd, &rec)) != CSV_EOF) {
		if (rc == CSV_E_IO || rc == CSV_E_UNTERMINATED)
			return file_err(l, "file", "file: %s", csv_errmsg(rd));
		l->rep->rows_total++;
		if (rc == CSV_OK) {
			check_row(l, &rec);
			continue;
		}
		const char *name = rec.err_field >= 0 && (size_t)rec.err_field < l->nhdr
			? S(l, l->hdr[rec.err_field]) : "";
		row_err(l, rec.line, name, "%s", csv_errmsg(rd));
	}
	return HE_OK;
}

/* ---- each case's events in order ------------------------------------------ */

static int cmp_ev(const void *a, const void *b)
{
	const struct hev *x = a, *y = b;
	if (x->c != y->c)
		return x->c < y->c ? -1 : 1;
	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (kind_rank[x->kind] != kind_rank[y->kind])
		return kind_rank[x->kind] < kind_rank[y->kind] ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static bool order_err(struct load *l, const struct hev *e, const char *what, const struct hev *at)
{
	char d[11];
	date_format(at->date, d);
	return row_err(l, e->line, "event", "event: %s (case %s: %s on line %d, %s)",
		       what, S(l, l->cases[e->c].ref), kinds[at->kind], (int)at->line, d);
}

/* Check one case's events v[0..n-1] (sorted): false with the first
 * problem kept. */
static bool check_order(struct load *l, const struct hev *v, size_t n)
{
	if (v[0].kind != K_REFERRED) {
		for (size_t i = 1; i < n; i++)
			if (v[i].kind == K_REFERRED)
				return order_err(l, &v[0], "dated before the case's referral", &v[i]);
		return row_err(l, v[0].line, "event", "event: case %s has no referred row: its"
			       " first event must be the referral", S(l, l->cases[v[0].c].ref));
	}
	const struct hev *decided = NULL, *closed = NULL;
	for (size_t i = 1; i < n; i++) {
		const struct hev *e = &v[i];
		if (closed)
			return order_err(l, e, "nothing can follow the closure", closed);
		if (e->kind == K_REFERRED)
			return order_err(l, e, "a case has one referral", &v[0]);
		bool decision = e->kind == K_ACCEPTED || e->kind == K_SIGNPOSTED || e->kind == K_DECLINED;
		if (decision && decided)
			return order_err(l, e, "the referral was already decided", decided);
		if (decided && decided->kind != K_ACCEPTED && e->kind != K_CLOSED && !decision)
			return order_err(l, e, "no work follows a referral that was not accepted",
					 decided);
		if (decision)
			decided = e;
		if (e->kind == K_CLOSED)
			closed = e;
	}
	return true;
}

static void check_cases(struct load *l)
{
	if (l->nev)
		qsort(l->ev, l->nev, sizeof *l->ev, cmp_ev);
	for (size_t i = 0, j; i < l->nev; i = j) {
		struct hcase *c = &l->cases[l->ev[i].c];
		for (j = i + 1; j < l->nev && l->ev[j].c == l->ev[i].c; j++)
			;
		if (!c->bad && !check_order(l, l->ev + i, j - i))
			c->bad = true;
	}
}

/* ---- writing -------------------------------------------------------------- */

static const char import_insert[] =
	"INSERT INTO history_imports (filename, sha256, user_id, imported_at, rows_total,"
	" rows_applied, rows_rejected, status) VALUES (:file, :sha, :user, :now, :total,"
	" :applied, :rejected, :status) RETURNING id";
/* The case's referral, first allocation and end (first step-up or
 * closure) are kept on it (migrations/0009) so that the reports find a
 * period's cases by index; written here with the case, so that the
 * triggers that keep them for other writers find nothing to change. */
static const char case_insert[] =
	"INSERT INTO history_cases (import_id, case_ref, family_ref, school_id, pupil_id,"
	" worker_name, referred_on, allocated_on, ended_on) VALUES (:imp, :ref, :fam, :school,"
	" (SELECT p.id FROM pupils p WHERE p.upn = CAST(:upn AS TEXT)), :worker, :referred,"
	" :allocated, :ended) RETURNING id, pupil_id";
static const char event_insert[] =
	"INSERT INTO history_events (case_id, on_date, kind, source, reason, amount_pence, detail)"
	" VALUES (:c0, :o0, :k0, :s0, :r0, :a0, :d0)";
static const char error_insert[] =
	"INSERT INTO history_import_errors (import_id, line, field, message)"
	" VALUES (:imp, :line, :field, :msg)";

/* Events go in EV_BATCH at a time: one statement per six rows instead of
 * one per row (the statement's start and halt cost as much as the row);
 * 6 × 7 parameters stay within db_sqlite.c's per-statement name cache. */
#define EV_BATCH 6
#define EV_VALUES(n) "(:c" #n ", :o" #n ", :k" #n ", :s" #n ", :r" #n ", :a" #n ", :d" #n ")"
static const char event_insert_batch[] =
	"INSERT INTO history_events (case_id, on_date, kind, source, reason, amount_pence, detail)"
	" VALUES " EV_VALUES(0) ", " EV_VALUES(1) ", " EV_VALUES(2) ", " EV_VALUES(3) ", "
	EV_VALUES(4) ", " EV_VALUES(5);
#define EV_NAMES(n) {":c" #n, ":o" #n, ":k" #n, ":s" #n, ":r" #n, ":a" #n, ":d" #n}
static const char *const ev_names[EV_BATCH][7] = {EV_NAMES(0), EV_NAMES(1), EV_NAMES(2),
	EV_NAMES(3), EV_NAMES(4), EV_NAMES(5)};
static const char *const ev_one[7] = {":c0", ":o0", ":k0", ":s0", ":r0", ":a0", ":d0"};

struct pending {
	const struct hev *e[EV_BATCH];
	int64_t case_id[EV_BATCH];
	int n;
};

static void bind_event(struct load *l, struct db_stmt *st, const char *const *nm,
		       int64_t case_id, const struct hev *e)
{
	char d[11];
	date_format(e->date, d);
	db_bind_int(st, nm[0], case_id);
	db_bind_text(st, nm[1], d);
	db_bind_text(st, nm[2], kinds[e->kind]);
	db_bind_text(st, nm[3], e->source ? sources[e->source - 1] : NULL);
	db_bind_text(st, nm[4], e->reason ? reasons[e->reason - 1] : NULL);
	if (e->amount >= 0)
		db_bind_int(st, nm[5], e->amount);
	else
		db_bind_null(st, nm[5]);
	db_bind_text(st, nm[6], S(l, e->detail));
}

/* Write the pending events: a full batch in one statement, fewer one by one. */
static int flush_events(struct load *l, struct pending *p)
{
	int rc = HE_OK;
	if (p->n == EV_BATCH) {
		struct db_stmt *st = db_prepare(l->db, event_insert_batch);
		for (int i = 0; i < EV_BATCH; i++)
			bind_event(l, st, ev_names[i], p->case_id[i], p->e[i]);
		rc = db_done(st);
	} else {
		for (int i = 0; rc == HE_OK && i < p->n; i++) {
			struct db_stmt *st = db_prepare(l->db, event_insert);
			bind_event(l, st, ev_one, p->case_id[i], p->e[i]);
			rc = db_done(st);
		}
	}
	p->n = 0;
	return rc;
}

#define NO_DAY INT32_MIN

/* Bind :name to the day, or NULL for none (NO_DAY). */
static void bind_day(struct db_stmt *st, const char *name, hday day)
{
	char d[11];
	if (day == NO_DAY) {
		db_bind_null(st, name);
		return;
	}
	date_format(day, d);
	db_bind_text(st, name, d);
}

/* The first day of each of the case's milestones, from its events
 * v[0..n-1] (sorted by date): referred, allocated, ended. */
static void case_days(struct db_stmt *st, const struct hev *v, size_t n)
{
	hday referred = NO_DAY, allocated = NO_DAY, ended = NO_DAY;
	for (size_t i = n; i-- > 0;) {
		if (v[i].kind == K_REFERRED)
			referred = v[i].date;
		else if (v[i].kind == K_ALLOCATED)
			allocated = v[i].date;
		else if (v[i].kind == K_STEP_UP || v[i].kind == K_CLOSED)
			ended = v[i].date;
	}
	bind_day(st, ":referred", referred);
	bind_day(st, ":allocated", allocated);
	bind_day(st, ":ended", ended);
}

/* Write case c, whose events are v[0..n-1]. */
static int write_case(struct load *l, const struct hcase *c, const struct hev *v, size_t n,
		      int64_t *id)
{
	struct db_stmt *st = db_prepare(l->db, case_insert);
	case_days(st, v, n);
	db_bind_int(st, ":imp", l->rep->import_id);
	db_bind_text(st, ":ref", S(l, c->ref));
	db_bind_text(st, ":fam", S(l, c->family));
	if (c->school_id)
		db_bind_int(st, ":school", c->school_id);
	else
		db_bind_null(st, ":school");
	db_bind_text(st, ":upn", *c->upn ? c->upn : NULL);
	db_bind_text(st, ":worker", S(l, c->worker));
	if (db_next(st)) {
		*id = db_int(st, 0);
		l->rep->pupils_unmatched += *c->upn && db_is_null(st, 1);
	}
	return db_finalize(st);
}

static int write_cases(struct load *l)
{
	int rc = HE_OK;
	int64_t id = 0;
	struct pending p = {.n = 0};
	for (size_t i = 0; rc == HE_OK && i < l->nev; i++) {
		const struct hev *e = &l->ev[i];
		const struct hcase *c = &l->cases[e->c];
		if (c->bad)
			continue;
		if (i == 0 || l->ev[i - 1].c != e->c) {
			size_t n = 1;
			while (i + n < l->nev && l->ev[i + n].c == e->c)
				n++;
			rc = write_case(l, c, e, n, &id);
		}
		p.e[p.n] = e;
		p.case_id[p.n++] = id;
		if (rc == HE_OK && p.n == EV_BATCH)
			rc = flush_events(l, &p);
	}
	return rc == HE_OK ? flush_events(l, &p) : rc;
}

static void count(struct load *l)
{
	struct history_report *rep = l->rep;
	for (size_t c = 0; c < l->ncases; c++) {
		if (l->cases[c].before)
			continue;
		if (l->cases[c].bad)
			rep->cases_rejected++;
		else
			rep->cases_loaded++, rep->rows_applied += l->cases[c].nrows;
	}
	rep->rows_rejected = rep->rows_total - rep->rows_applied;
}

static int insert_import(struct load *l, const char *status)
{
	char now[21];
	timestamp_format(time(NULL), now);
	struct db_stmt *st = db_prepare(l->db, import_insert);
	const struct history_report *rep = l->rep;
	db_bind_text(st, ":file", l->o->filename ? l->o->filename : l->o->path ? l->o->path
		     : "upload");
	db_bind_text(st, ":sha", l->sha);
	if (l->who && l->who->user_id)
		db_bind_int(st, ":user", l->who->user_id);
	else
		db_bind_null(st, ":user");
	db_bind_text(st, ":now", now);
	db_bind_int(st, ":total", rep->rows_total);
	db_bind_int(st, ":applied", rep->rows_applied);
	db_bind_int(st, ":rejected", rep->rows_rejected);
	db_bind_text(st, ":status", status);
	if (db_next(st))
		l->rep->import_id = db_int(st, 0);
	return db_finalize(st);
}

static int write_errors(struct load *l)
{
	int rc = HE_OK;
	for (size_t i = 0; rc == HE_OK && i < l->nkept; i++) {
		struct db_stmt *st = db_prepare(l->db, error_insert);
		db_bind_int(st, ":imp", l->rep->import_id);
		db_bind_int(st, ":line", l->kept[i].line);
		db_bind_text(st, ":field", l->kept[i].field);
		db_bind_text(st, ":msg", l->kept[i].message);
		rc = db_done(st);
	}
	return rc;
}

/* ---- big loads: indexes built afterwards ----------------------------------- *
 *
 * history_events_on (on_date, kind) takes every event at a random place;
 * for two million events that cost more than the inserts themselves.  A
 * load that brings more than an eighth as many events again as the table
 * holds drops the history indexes inside its transaction and creates them
 * again before the commit (a rollback restores them).  They must match
 * migrations/0007 and 0009: change them here if the migrations change them.
 * Two stay in place: history_events_case and history_cases_family.  The
 * triggers that keep the reports' sums (migration 0016) look each
 * new closure's case and family up through them, row by row; without them
 * every row scanned the tables (a 30,000-case load: 360 s instead of 5 s). */

static const char *const index_drop[] = {
	"DROP INDEX IF EXISTS history_events_on",
	"DROP INDEX IF EXISTS history_cases_school",
	"DROP INDEX IF EXISTS history_cases_pupil",
	"DROP INDEX IF EXISTS history_cases_allocated",
	"DROP INDEX IF EXISTS history_cases_ended",
};
static const char *const index_create[] = {
	"CREATE INDEX IF NOT EXISTS history_events_on ON history_events(on_date, kind)",
	"CREATE INDEX IF NOT EXISTS history_cases_school ON history_cases(school_id)",
	"CREATE INDEX IF NOT EXISTS history_cases_pupil ON history_cases(pupil_id)",
	"CREATE INDEX IF NOT EXISTS history_cases_allocated ON history_cases(allocated_on)",
	"CREATE INDEX IF NOT EXISTS history_cases_ended ON history_cases(ended_on, allocated_on)",
};
#define NINDEX (sizeof index_drop / sizeof index_drop[0])

/* ---- the outcomes' kept rows: worked out once, not row by row ----------------- *
 *
 * Migration 0018's triggers keep outcome_rows (each closure, its children's
 * census before the term, the family's next referral) and outcome_after
 * from every write.  Row by row they cost a load 1-4 ms a case on
 * PostgreSQL (a 30,000-case file took over five minutes), so a load pauses
 * them for its own transaction (other connections' writes still keep the
 * rows) and, once its cases are written and the indexes are back, works
 * its cases' rows, their families' other closures' next referral and
 * their children's latest census out set-wise, which also ends the pause:
 * the same rows the triggers would have made. */

static int write_all(struct load *l)
{
	int64_t have = 0;
	struct db_stmt *st = db_prepare(l->db, "SELECT count(*) FROM history_events");
	if (db_next(st))
		have = db_int(st, 0);
	int rc = db_finalize(st);
	bool big = l->rep->rows_applied > 10000 && 8 * l->rep->rows_applied > have;
	for (size_t i = 0; big && rc == HE_OK && i < NINDEX; i++)
		rc = db_done(db_prepare(l->db, index_drop[i]));
	if (rc == HE_OK)
		rc = db_done(db_prepare(l->db, "INSERT INTO outcome_rows_pause (paused) VALUES (1)"));
	if (rc == HE_OK)
		rc = write_cases(l);
	for (size_t i = 0; big && rc == HE_OK && i < NINDEX; i++)
		rc = db_done(db_prepare(l->db, index_create[i]));
	if (rc == HE_OK) {
		st = db_prepare(l->db, "INSERT INTO outcome_rows_history_done (import_id) VALUES (:imp)");
		db_bind_int(st, ":imp", l->rep->import_id);
		rc = db_done(st);
	}
	return rc;
}

/* Record the load (status done: with its cases) in one transaction. */
static int record(struct load *l, const char *status)
{
	struct history_report *rep = l->rep;
	char id[24], summary[320];
	rep->status = status;
	bool bulk = !strcmp(status, "done") && l->nev > 10000;
	if (bulk)
		db_bulk(l->db, true);
	int rc = db_begin(l->db);
	if (rc == HE_OK)
		rc = insert_import(l, status);
	if (rc == HE_OK && !strcmp(status, "done"))
		rc = write_all(l);
	if (rc == HE_OK)
		rc = write_errors(l);
	snprintf(id, sizeof id, "%" PRId64, rep->import_id);
	snprintf(summary, sizeof summary, "history load of %.80s %s: %.200s",
		 l->o->filename ? l->o->filename : l->o->path ? l->o->path : "upload", status,
		 rep->message);
	if (rc == HE_OK)
		rc = audit(l->db, l->who, "import", "history_imports", id, summary);
	if (rc == HE_OK)
		rc = db_commit(l->db);
	else
		db_rollback(l->db);
	if (bulk)
		db_bulk(l->db, false);
	if (rc != HE_OK)
		rep->import_id = 0;
	return rc;
}

static int cmp_err(const void *a, const void *b)
{
	const struct errinfo *x = a, *y = b;
	return (x->line > y->line) - (x->line < y->line);
}

/* The report's first errors, by line, from those kept. */
static void report_errors(struct load *l)
{
	if (l->nkept)
		qsort(l->kept, l->nkept, sizeof *l->kept, cmp_err);
	l->rep->nerrors = 0;
	for (size_t i = 0; i < l->nkept && i < HISTORY_REPORT_ERRORS; i++)
		l->rep->errors[l->rep->nerrors++] = l->kept[i];
}

static bool too_many(const struct load *l)
{
	int64_t bad = l->rep->rows_bad, total = l->rep->rows_total;
	int permille = l->o->max_bad_permille > 0 ? l->o->max_bad_permille : 100;
	if (l->o->strict)
		return bad > 0;
	return bad > BAD_FLOOR && bad * 1000 > (int64_t)permille * total;
}

static void describe(struct load *l)
{
	struct history_report *rep = l->rep;
	if (!rep->rows_rejected) {
		snprintf(rep->message, sizeof rep->message, "%" PRId64 " rows: %" PRId64 " cases (%"
			 PRId64 " events) loaded", rep->rows_total, rep->cases_loaded, rep->rows_applied);
		return;
	}
	snprintf(rep->message, sizeof rep->message, "%" PRId64 " rows: %" PRId64 " cases (%" PRId64
		 " events) loaded; %" PRId64 " rows not loaded (%" PRId64 " with errors, the rest"
		 " belong to %" PRId64 " cases with errors)", rep->rows_total, rep->cases_loaded,
		 rep->rows_applied, rep->rows_rejected, rep->rows_bad, rep->cases_rejected);
}

/* Read, check and decide; the outcome is recorded by the caller. */
static int check_file(struct load *l)
{
	struct csv_reader *rd;
	int fd = -1;
	if (l->o->path) {
		if ((fd = open(l->o->path, O_RDONLY)) < 0)
			return file_err(l, "file", "file: cannot open %s", l->o->path);
		rd = csv_open_fd(fd, NULL);
	} else {
		rd = csv_open_mem(l->o->data, l->o->len, NULL);
	}
	int rc = read_header(l, rd);
	if (rc == HE_OK)
		rc = read_rows(l, rd);
	csv_close(rd);
	if (fd >= 0)
		close(fd);
	if (rc != HE_OK)
		return rc;
	check_cases(l);
	count(l);
	describe(l);
	if (!l->rep->rows_total)
		return file_err(l, "file", "file: the file has a header but no rows%s", "");
	if (too_many(l)) {
		struct history_report *rep = l->rep;
		rep->rows_applied = rep->cases_loaded = 0;
		rep->rows_rejected = rep->rows_total;
		snprintf(rep->message, sizeof rep->message, "Nothing was loaded: %" PRId64 " of %"
			 PRId64 " rows have errors%s", rep->rows_bad, rep->rows_total, l->o->strict
			 ? " (strict: any bad row refuses the file)"
			 : ", more than one in ten: check that this is the right file and its columns");
		return HE_INVALID;
	}
	return HE_OK;
}

static int already_loaded(struct load *l)
{
	struct db_stmt *st = db_prepare(l->db, "SELECT id, imported_at FROM history_imports"
					" WHERE sha256 = :sha AND status = 'done' ORDER BY id LIMIT 1");
	db_bind_text(st, ":sha", l->sha);
	char msg[160] = "";
	if (db_next(st))
		snprintf(msg, sizeof msg, "file: this file was loaded before (load %" PRId64 " on %.10s):"
			 " nothing was loaded again", db_int(st, 0), db_text(st, 1));
	int rc = db_finalize(st);
	if (rc == HE_OK && *msg) {
		file_err(l, "file", "%s", msg);
		return HE_CONFLICT;
	}
	return rc;
}

static void load_free(struct load *l)
{
	free(l->schools);
	free(l->pool);
	free(l->cases);
	free(l->tab);
	free(l->ev);
	free(l->kept);
	free(l->hdr);
}

int history_load(struct db *db, const struct audit_who *who, const struct history_opts *opts,
		 struct history_report *report)
{
	struct load l = {.db = db, .who = who, .o = opts, .rep = report};
	memset(report, 0, sizeof *report);
	report->status = "failed";
	l.today = opts->today ? opts->today : date_today();
	pool_add(&l, "", 1);   /* offset 0 is "" */
	int rc = load_schools(&l);
	if (rc == HE_OK)
		rc = load_before(&l);
	if (rc == HE_OK)
		rc = file_sha(&l);
	if (rc == HE_OK)
		rc = already_loaded(&l);
	if (rc == HE_OK)
		rc = check_file(&l);
	if (rc == HE_OK || rc == HE_INVALID || rc == HE_CONFLICT) {
		report_errors(&l);
		int wrc = record(&l, rc == HE_OK ? "done" : "failed");
		rc = wrc ? wrc : rc;
	}
	load_free(&l);
	return rc;
}
