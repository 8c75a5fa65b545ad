/* test_ctf.c — unit tests for src/core/ctf.c: reading Common Transfer
 * Files from tests/data/ctf/ (realistic CTF 24 exports, unknown elements,
 * a broken tag, an XXE attempt, BOM/CRLF, Latin-1, bad UTF-8, truncation),
 * format variants from older and newer CTF versions, and a generated
 * 20,000-pupil file read with flat memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlmemory.h>

#include "base/buf.h"
#include "core/ctf.h"

/* ---- helpers ----------------------------------------------------------- */

static char path_buf[512];

/* tests/data/ctf/NAME under $HEARTH_SRCDIR (default: the current directory,
 * the repository root when run by make). */
static const char *data(const char *name)
{
	const char *root = getenv("HEARTH_SRCDIR");
	snprintf(path_buf, sizeof path_buf, "%s/tests/data/ctf/%s", root ? root : ".", name);
	return path_buf;
}

static int open_data(const char *name)
{
	int fd = open(data(name), O_RDONLY);
	if (fd < 0)
		fail_msg("cannot open %s (run from the repository root)", path_buf);
	return fd;
}

/* The whole file in a heap buffer (*len bytes). */
static char *slurp(const char *name, size_t *len)
{
	FILE *f = fopen(data(name), "rb");
	assert_non_null(f);
	char *p = malloc(1 << 20);
	assert_non_null(p);
	*len = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static void check(const struct pupil_rec *rec, enum pupil_field f, const char *want)
{
	const char *got = rec->v[f];
	if (!want && got)
		fail_msg("%s: want absent, got \"%s\"", pupil_fields[f].name, got);
	if (want && !got)
		fail_msg("%s: want \"%s\", got absent", pupil_fields[f].name, want);
	if (want && strcmp(want, got) != 0)
		fail_msg("%s: want \"%s\", got \"%s\"", pupil_fields[f].name, want, got);
}

/* Every field of rec: pairs of (field, value) ending with PF_COUNT; the
 * fields not listed must be absent. */
static void expect(const struct pupil_rec *rec, long line, ...)
{
	const char *want[PF_COUNT] = {0};
	va_list ap;
	va_start(ap, line);
	for (int f; (f = va_arg(ap, int)) != PF_COUNT;)
		want[f] = va_arg(ap, const char *);
	va_end(ap);
	assert_int_equal(rec->line, line);
	for (int f = 0; f < PF_COUNT; f++)
		check(rec, (enum pupil_field)f, want[f]);
}

static struct ctf_reader *open_ok(int fd)
{
	struct ctf_reader *r = NULL;
	struct errinfo e = {0};
	int rc = ctf_open_fd(fd, &r, &e);
	if (rc)
		fail_msg("ctf_open_fd: %d line %d: %s", rc, e.line, e.message);
	return r;
}

static struct ctf_reader *open_mem_ok(const char *xml)
{
	struct ctf_reader *r = NULL;
	struct errinfo e = {0};
	int rc = ctf_open_mem(xml, strlen(xml), &r, &e);
	if (rc)
		fail_msg("ctf_open_mem: %d line %d: %s", rc, e.line, e.message);
	return r;
}

static void next_ok(struct ctf_reader *r, struct pupil_rec *rec)
{
	struct errinfo e = {0};
	int rc = ctf_next(r, rec, &e);
	if (rc)
		fail_msg("ctf_next: %d line %d: %s", rc, e.line, e.message);
}

/* Opening fails with HE_INVALID at line; returns the message. */
static const char *open_fails(int fd, const char *xml, size_t len, int line)
{
	static struct errinfo e;
	struct ctf_reader *r = (struct ctf_reader *)1;
	memset(&e, 0, sizeof e);
	int rc = fd >= 0 ? ctf_open_fd(fd, &r, &e) : ctf_open_mem(xml, len, &r, &e);
	assert_int_equal(rc, HE_INVALID);
	assert_int_equal(e.code, HE_INVALID);
	assert_null(r);
	assert_int_equal(e.line, line);
	return e.message;
}

/* ---- the sample files -------------------------------------------------- */

static void expect_small(struct ctf_reader *r)
{
	struct pupil_rec rec;
	const struct ctf_header *h = ctf_header(r);
	assert_string_equal(h->version, "24.0");
	assert_string_equal(h->datetime, "2025-01-15T10:30:00");
	assert_string_equal(h->date, "2025-01-15");
	assert_string_equal(h->lea, "856");
	assert_string_equal(h->estab, "2001");
	assert_string_equal(h->urn, "120345");
	assert_string_equal(h->school_name, "Hearth Test Academy");

	/* FSM with no end date, SEN support, two years of attendance (the
	 * later one counts), attended worked out; first contact's phone. */
	next_ok(r, &rec);
	expect(&rec, 23, PF_UPN, "G856200124001", PF_FORENAME, "Amelia", PF_SURNAME, "Okafor",
	       PF_DOB, "2011-03-14", PF_GENDER, "F", PF_YEAR, "9", PF_URN, "120345",
	       PF_POSTCODE, "LE2 1AB", PF_ADDRESS, "14 Acacia Avenue",
	       PF_CONTACT, "Grace Okafor, 07700 900123", PF_FSM, "1", PF_SEN, "K", PF_EHCP, "0",
	       PF_EAL, "0", PF_SESS_POSSIBLE, "200", PF_SESS_ATTENDED, "178",
	       PF_AUTH_ABSENCE, "10", PF_UNAUTH_ABSENCE, "12", PF_EXTRACT_DATE, "2025-01-15",
	       PF_COUNT);
	/* Her brother: same address and contact; FSM ended before the file's
	 * date; the current SEN record is an EHC plan; attended as given. */
	next_ok(r, &rec);
	expect(&rec, 114, PF_UPN, "W856200124002", PF_FORENAME, "Daniel", PF_SURNAME, "Okafor",
	       PF_DOB, "2013-07-02", PF_GENDER, "M", PF_YEAR, "7", PF_URN, "120345",
	       PF_POSTCODE, "LE2 1AB", PF_ADDRESS, "14 Acacia Avenue",
	       PF_CONTACT, "Grace Okafor, 07700 900123", PF_FSM, "0", PF_SEN, "E", PF_EHCP, "1",
	       PF_EAL, "0", PF_SESS_POSSIBLE, "200", PF_SESS_ATTENDED, "186",
	       PF_AUTH_ABSENCE, "14", PF_UNAUTH_ABSENCE, "0", PF_EXTRACT_DATE, "2025-01-15",
	       PF_COUNT);
	/* Looked after, first language Urdu, SEN support ended (so N), no FSM
	 * history (so unknown), two schools' attendance in one year summed,
	 * the contact with Order 1 chosen though listed second. */
	next_ok(r, &rec);
	expect(&rec, 179, PF_UPN, "W856200125003", PF_FORENAME, "Zainab", PF_SURNAME, "Hussain",
	       PF_DOB, "2010-11-20", PF_GENDER, "F", PF_YEAR, "10", PF_URN, "120345",
	       PF_POSTCODE, "LE3 0BQ", PF_ADDRESS, "Flat 3, 7 Narborough Road",
	       PF_CONTACT, "Janet Clarke, 07700 900456", PF_SEN, "N", PF_EHCP, "0",
	       PF_EAL, "1", PF_LOOKED_AFTER, "1", PF_SESS_POSSIBLE, "190", PF_SESS_ATTENDED, "172",
	       PF_AUTH_ABSENCE, "9", PF_UNAUTH_ABSENCE, "9", PF_EXTRACT_DATE, "2025-01-15",
	       PF_COUNT);
	/* Older layout (Gender, NCyearActual straight under Pupil); FSM ends
	 * after the file's date; attendance only as register marks. */
	next_ok(r, &rec);
	expect(&rec, 252, PF_UPN, "W856200126004", PF_FORENAME, "Leo", PF_SURNAME, "Walsh",
	       PF_DOB, "2014-01-05", PF_GENDER, "M", PF_YEAR, "5", PF_URN, "120345",
	       PF_FSM, "1", PF_LOOKED_AFTER, "0", PF_MARKS, "/\\/\\NN/\\/\\LLIIOO/\\",
	       PF_EXTRACT_DATE, "2025-01-15", PF_COUNT);

	struct errinfo e = {0};
	assert_int_equal(ctf_next(r, &rec, &e), CTF_END);
	assert_int_equal(ctf_next(r, &rec, &e), CTF_END);
}

static void test_small_fd(void **state)
{
	(void)state;
	int fd = open_data("small.xml");
	struct ctf_reader *r = open_ok(fd);
	expect_small(r);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(ctf_bytes_read(r), (long long)st.st_size);
	ctf_close(r);
	close(fd);
}

static void test_small_mem(void **state)
{
	(void)state;
	size_t len;
	char *xml = slurp("small.xml", &len);
	struct ctf_reader *r = NULL;
	assert_int_equal(ctf_open_mem(xml, len, &r, NULL), HE_OK);
	expect_small(r);
	assert_int_equal(ctf_bytes_read(r), (long long)len);
	ctf_close(r);
	free(xml);
}

/* A pipe is not seekable and arrives in pieces: still the same pupils. */
static void test_small_pipe(void **state)
{
	(void)state;
	size_t len;
	char *xml = slurp("small.xml", &len);
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], xml, len), (ssize_t)len);  /* < pipe capacity */
	close(p[1]);
	struct ctf_reader *r = open_ok(p[0]);
	expect_small(r);
	ctf_close(r);
	close(p[0]);
	free(xml);
}

/* Elements the reader does not know are skipped wherever they are, and
 * known names inside unknown elements (a <Surname> in <FormerNames>, a
 * <Pupil> outside <CTFpupilData>, a contact's own postcode) change
 * nothing. */
static void test_unknown_elements(void **state)
{
	(void)state;
	int fd = open_data("unknown_elements.xml");
	struct ctf_reader *r = open_ok(fd);
	struct pupil_rec rec;
	assert_string_equal(ctf_header(r)->urn, "120346");
	assert_string_equal(ctf_header(r)->version, "99.0");
	next_ok(r, &rec);
	expect(&rec, 21, PF_UPN, "W856200127005", PF_FORENAME, "Ivana", PF_SURNAME, "Novak",
	       PF_DOB, "2012-02-29", PF_GENDER, "F", PF_YEAR, "8", PF_URN, "120346",
	       PF_POSTCODE, "LE3 5EA", PF_ADDRESS, "Flat 2, 9 Fosse Road",
	       PF_CONTACT, "Petra Novak", PF_FSM, "1", PF_SEN, "K", PF_EHCP, "0", PF_EAL, "1",
	       PF_SESS_POSSIBLE, "300", PF_SESS_ATTENDED, "265", PF_AUTH_ABSENCE, "20",
	       PF_UNAUTH_ABSENCE, "15", PF_EXTRACT_DATE, "2025-06-30", PF_COUNT);
	assert_int_equal(ctf_next(r, &rec, NULL), CTF_END);
	ctf_close(r);
	close(fd);
}

/* A broken closing tag on line 182: the pupils before it are read, then
 * the error names the line and libxml2's reason, and stays. */
static void test_malformed(void **state)
{
	(void)state;
	int fd = open_data("malformed.xml");
	struct ctf_reader *r = open_ok(fd);
	struct pupil_rec rec;
	struct errinfo e = {0};
	int rc, n = 0;
	while ((rc = ctf_next(r, &rec, &e)) == HE_OK)
		n++;
	assert_int_equal(rc, HE_INVALID);
	assert_in_range(n, 1, 2);  /* the parser reads ahead of the pupils */
	assert_int_equal(e.line, 182);
	assert_string_equal(e.message, "the file is not well-formed XML at line 182: Opening and"
			    " ending tag mismatch: Forename line 182 and Forname");
	memset(&e, 0, sizeof e);
	assert_int_equal(ctf_next(r, &rec, &e), HE_INVALID);
	assert_int_equal(e.line, 182);
	ctf_close(r);
	close(fd);
}

static void test_truncated(void **state)
{
	(void)state;
	int fd = open_data("truncated.xml");
	struct ctf_reader *r = open_ok(fd);
	struct pupil_rec rec;
	struct errinfo e = {0};
	int rc;
	while ((rc = ctf_next(r, &rec, &e)) == HE_OK)
		;
	assert_int_equal(rc, HE_INVALID);
	assert_int_equal(e.line, 254);
	assert_non_null(strstr(e.message, "cut short"));
	ctf_close(r);
	close(fd);
}

/* An external entity naming /etc/passwd (general and parameter): the file
 * is refused before any element is read, and nothing of passwd shows. */
static void test_xxe(void **state)
{
	(void)state;
	int fd = open_data("xxe.xml");
	const char *msg = open_fails(fd, NULL, 0, 0);
	assert_non_null(strstr(msg, "<!DOCTYPE>"));
	assert_null(strstr(msg, "root:"));
	close(fd);

	/* Without a DOCTYPE an entity is merely undefined. */
	const char *xml = "<CTfile><Header/><CTFpupilData><Pupil><Surname>&xxe;</Surname>"
			  "</Pupil></CTFpupilData></CTfile>";
	struct ctf_reader *r = NULL;
	struct errinfo e = {0};
	struct pupil_rec rec;
	int rc = ctf_open_mem(xml, strlen(xml), &r, &e);
	if (rc == HE_OK)
		rc = ctf_next(r, &rec, &e);
	assert_int_equal(rc, HE_INVALID);
	assert_non_null(strstr(e.message, "Entity 'xxe' not defined"));
	ctf_close(r);
}

/* UTF-8 with a BOM and Windows line endings; and Latin-1 as declared. */
static void test_encodings(void **state)
{
	(void)state;
	struct pupil_rec rec;
	int fd = open_data("bom_utf8.xml");
	struct ctf_reader *r = open_ok(fd);
	assert_string_equal(ctf_header(r)->school_name, "Ysgol Gymraeg Caerl\xc5\xb7r");
	next_ok(r, &rec);
	expect(&rec, 23, PF_UPN, "C856200124006", PF_FORENAME, "Zo\xc3\xab",
	       PF_SURNAME, "Bront\xc3\xab-O\xe2\x80\x99Neill", PF_DOB, "2012-09-01",
	       PF_GENDER, "F", PF_YEAR, "7", PF_URN, "120345", PF_EXTRACT_DATE, "2025-01-15",
	       PF_COUNT);
	assert_int_equal(ctf_next(r, &rec, NULL), CTF_END);
	ctf_close(r);
	close(fd);

	fd = open_data("latin1.xml");
	r = open_ok(fd);
	next_ok(r, &rec);
	check(&rec, PF_FORENAME, "Zo\xc3\xab");
	check(&rec, PF_SURNAME, "Bront\xc3\xab-ONeill");
	ctf_close(r);
	close(fd);
}

static void test_bad_utf8(void **state)
{
	(void)state;
	int fd = open_data("bad_utf8.xml");
	const char *msg = open_fails(fd, NULL, 0, 25);
	const char *want = "the file's text is not in its declared encoding at line 25"
			   " (save it as UTF-8): Input is not proper UTF-8";
	assert_true(strncmp(msg, want, strlen(want)) == 0);
	close(fd);
}

static void test_not_a_ctf(void **state)
{
	(void)state;
	int fd = open_data("not_ctf.xml");
	assert_string_equal(open_fails(fd, NULL, 0, 2), "not a Common Transfer File: the root"
			    " element is <html> (line 2), not <CTfile>");
	close(fd);
	fd = open_data("no_header.xml");
	assert_string_equal(open_fails(fd, NULL, 0, 3), "not a Common Transfer File: there is"
			    " no <Header> before <CTFpupilData> (line 3)");
	close(fd);
	const char *xml = "<CTfile>\n<Other/>\n</CTfile>\n";
	assert_string_equal(open_fails(-1, xml, strlen(xml), 0),
			    "not a Common Transfer File: it has no <Header>");
	xml = "UPN,Surname,Forename\nA123,Smith,Jo\n";
	assert_string_equal(open_fails(-1, xml, strlen(xml), 1), "the file is not XML: a Common"
			    " Transfer File starts with <?xml or <CTfile>");
}

static void test_empty(void **state)
{
	(void)state;
	const char *want = "the file is empty: a Common Transfer File is XML";
	int fd = open_data("empty.xml");
	assert_string_equal(open_fails(fd, NULL, 0, 0), want);
	close(fd);
	assert_string_equal(open_fails(-1, "", 0, 0), want);
	assert_string_equal(open_fails(-1, "\xef\xbb\xbf \r\n\t\n", 7, 0), want);
}

/* Variants seen across CTF versions and suppliers. */
static void test_variants(void **state)
{
	(void)state;
	const char *xml =
		"<?xml version='1.0'?>\n"
		"<CTfile xmlns='urn:example:ctf'>\n"                        /* 2 */
		"<Header><DateTime>2024-12-01</DateTime>"
		"<SourceSchool><LEA>856</LEA><Estab>2003</Estab></SourceSchool></Header>\n"
		"<CTFpupilData>\n"
		"<Pupil><UPN> A123 </UPN><Surname><![CDATA[O'Brien & Sons]]></Surname>"  /* 5 */
		"<URN>654321</URN><CLA>1</CLA><FirstLanguage>ENB</FirstLanguage>"
		"<FSMhistory><FSMreview><FSMstartDate>2024-01-01</FSMstartDate>"
		"<FSMeligible>0</FSMeligible></FSMreview></FSMhistory>"
		"<SENhistory><SENprovision>S</SENprovision></SENhistory>"
		"<Contacts><Contact><Surname>Brown</Surname></Contact>"
		"<Contact><Forename>Al</Forename><Phones><Phone><PhoneNo>01</PhoneNo></Phone>"
		"</Phones></Contact></Contacts>"
		"<Attendance><YearData><Year>2024</Year><SessionsPossible>100</SessionsPossible>"
		"<SessionsAuthorised>1</SessionsAuthorised><SessionsUnauthorised>2"
		"</SessionsUnauthorised></YearData>"
		"<YearData><Year>2024</Year><SessionsPossible>twelve</SessionsPossible>"
		"<SessionsAuthorised>3</SessionsAuthorised></YearData>"
		"<YearData><Year>2022</Year><SessionsPossible>300</SessionsPossible></YearData>"
		"</Attendance></Pupil>\n"
		"<Pupil><SENhistory><SENprovision>A</SENprovision></SENhistory>"   /* 6 */
		"<FSMhistory><FSMinstances><FSMinstance><FSMendDate>2024-12-01</FSMendDate>"
		"</FSMinstance><FSMinstance><FSMendDate>not a date</FSMendDate></FSMinstance>"
		"</FSMinstances></FSMhistory>"
		"<Languages><Type><Language>NOT</Language></Type></Languages>"
		"<LookedAfter><InCare>maybe</InCare></LookedAfter></Pupil>\n"
		"<Pupil/>\n"                                                          /* 7 */
		"</CTFpupilData></CTfile>\n";
	struct ctf_reader *r = open_mem_ok(xml);
	struct pupil_rec rec;
	assert_string_equal(ctf_header(r)->urn, "");
	assert_string_equal(ctf_header(r)->date, "2024-12-01");
	next_ok(r, &rec);
	/* The second 2024 YearData's bad count wins so validation names it;
	 * attended is unknown as the second part of the year lacks it. */
	expect(&rec, 5, PF_UPN, "A123", PF_SURNAME, "O'Brien & Sons", PF_URN, "654321",
	       PF_LOOKED_AFTER, "1", PF_EAL, "0", PF_FSM, "0", PF_SEN, "E", PF_EHCP, "1",
	       PF_CONTACT, "Brown", PF_SESS_POSSIBLE, "twelve", PF_AUTH_ABSENCE, "4",
	       PF_UNAUTH_ABSENCE, "2", PF_EXTRACT_DATE, "2024-12-01", PF_COUNT);
	next_ok(r, &rec);
	/* FSM ending on the file's date is not current; an end date that is
	 * not a date shows nothing; an unknown InCare value is kept for
	 * validation to report. */
	expect(&rec, 6, PF_SEN, "K", PF_EHCP, "0", PF_FSM, "0", PF_LOOKED_AFTER, "maybe",
	       PF_EXTRACT_DATE, "2024-12-01", PF_COUNT);
	next_ok(r, &rec);
	expect(&rec, 7, PF_EXTRACT_DATE, "2024-12-01", PF_COUNT);
	assert_int_equal(ctf_next(r, &rec, NULL), CTF_END);
	ctf_close(r);
}

/* A value longer than the reader keeps is an error naming the element. */
static void test_long_value(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "<CTfile><Header/><CTFpupilData>\n<Pupil><Note>");
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, 'x');  /* unknown elements may be long */
	buf_puts(&b, "</Note>\n<Surname>");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, 'y');
	buf_puts(&b, "</Surname></Pupil></CTFpupilData></CTfile>");
	struct ctf_reader *r = open_mem_ok(b.data);
	struct pupil_rec rec;
	struct errinfo e = {0};
	assert_int_equal(ctf_next(r, &rec, &e), HE_INVALID);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.message, "line 3: <Surname> holds more than 4096 characters");
	ctf_close(r);
	buf_free(&b);
}

/* ---- a large file: streaming, flat memory, exact lines past 65535 ------ */

static size_t xml_live, xml_peak;

/* Counting allocator for libxml2 (installed in main before any use). */
static void *cnt_malloc(size_t n)
{
	size_t *p = malloc(n + 16);
	if (!p)
		return NULL;
	*p = n;
	xml_live += n;
	if (xml_live > xml_peak)
		xml_peak = xml_live;
	return (char *)p + 16;
}

static void cnt_free(void *q)
{
	if (!q)
		return;
	size_t *p = (size_t *)((char *)q - 16);
	xml_live -= *p;
	free(p);
}

static void *cnt_realloc(void *q, size_t n)
{
	if (!q)
		return cnt_malloc(n);
	size_t *p = (size_t *)((char *)q - 16);
	size_t old = *p;
	p = realloc(p, n + 16);
	if (!p)
		return NULL;
	*p = n;
	xml_live = xml_live - old + n;
	if (xml_live > xml_peak)
		xml_peak = xml_live;
	return (char *)p + 16;
}

static char *cnt_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = cnt_malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}

#define BIG_PUPILS 20000
#define BIG_LINES_PER_PUPIL 16
#define BIG_FIRST_LINE 5

static void big_file(struct buf *b)
{
	buf_init(b, 0);
	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CTfile>\n"
		 "<Header><DateTime>2025-03-01T09:00:00</DateTime><SourceSchool><URN>100001"
		 "</URN></SourceSchool></Header>\n<CTFpupilData>\n");
	for (int i = 0; i < BIG_PUPILS; i++)
		buf_printf(b, "  <Pupil>\n    <UPN>A%012d</UPN>\n    <Surname>Surname%d</Surname>\n"
			   "    <Forename>Forename%d</Forename>\n    <DOB>2012-05-%02d</DOB>\n"
			   "    <Sex>%c</Sex>\n    <FSMhistory><FSMinstance><FSMstartDate>2024-01-01"
			   "</FSMstartDate></FSMinstance></FSMhistory>\n    <SENhistory><SEN>"
			   "<SENprovision>%c</SENprovision></SEN></SENhistory>\n"
			   "    <Address>\n      <BS7666Address><PAON>%d</PAON><Street>High Street"
			   "</Street></BS7666Address>\n      <PostCode>LE1 1AA</PostCode>\n"
			   "    </Address>\n    <Attendance>\n      <YearData><Year>2024</Year>"
			   "<SessionsPossible>300</SessionsPossible><SessionsAuthorised>%d"
			   "</SessionsAuthorised><SessionsUnauthorised>%d</SessionsUnauthorised>"
			   "</YearData>\n    </Attendance>\n  </Pupil>\n",
			   i, i, i, 1 + i % 28, i % 2 ? 'M' : 'F', "NKE"[i % 3], i / 2, i % 20,
			   i % 7);
	buf_puts(b, "</CTFpupilData>\n</CTfile>\n");
	assert_int_equal(buf_err(b), 0);
}

static void test_big_file_streams(void **state)
{
	(void)state;
	struct buf b;
	big_file(&b);
	assert_true(b.len > 10 * 1000 * 1000);

	size_t base_xml = xml_live;
	xml_peak = xml_live;
	size_t base_heap = mallinfo2().uordblks, peak_heap = base_heap;
	struct ctf_reader *r = NULL;
	assert_int_equal(ctf_open_mem(b.data, b.len, &r, NULL), HE_OK);
	struct pupil_rec rec;
	int n = 0, rc;
	char want[32];
	while ((rc = ctf_next(r, &rec, NULL)) == HE_OK) {
		if (n % 997 == 0 || n == BIG_PUPILS - 1) {
			assert_int_equal(rec.line, BIG_FIRST_LINE + (long)n * BIG_LINES_PER_PUPIL);
			snprintf(want, sizeof want, "A%012d", n);
			check(&rec, PF_UPN, want);
			snprintf(want, sizeof want, "%d High Street", n / 2);
			check(&rec, PF_ADDRESS, want);
			snprintf(want, sizeof want, "%d", 300 - n % 20 - n % 7);
			check(&rec, PF_SESS_ATTENDED, want);
			check(&rec, PF_SEN, (const char *[]){"N", "K", "E"}[n % 3]);
			check(&rec, PF_URN, "100001");
		}
		size_t heap = mallinfo2().uordblks;
		peak_heap = heap > peak_heap ? heap : peak_heap;
		n++;
	}
	assert_int_equal(rc, CTF_END);
	assert_int_equal(n, BIG_PUPILS);
	assert_true(rec.line > 65535 * 4);  /* past libxml2's 16-bit element lines */
	ctf_close(r);
	/* A DOM of this file would take tens of megabytes; streaming keeps
	 * libxml2 and the reader together within a few hundred kilobytes. */
	print_message("    %d pupils, %zu bytes: libxml2 peak %zu bytes, heap peak %zu bytes\n",
		      n, b.len, xml_peak - base_xml, peak_heap - base_heap);
	assert_true(xml_peak - base_xml < 1024 * 1024);
	assert_true(peak_heap - base_heap < 2 * 1024 * 1024);
	assert_int_equal(xml_live, base_xml);  /* nothing left behind */
	buf_free(&b);
}

int main(void)
{
	xmlMemSetup(cnt_free, cnt_malloc, cnt_realloc, cnt_strdup);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_fd),
		cmocka_unit_test(test_small_mem),
		cmocka_unit_test(test_small_pipe),
		cmocka_unit_test(test_unknown_elements),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_xxe),
		cmocka_unit_test(test_encodings),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_not_a_ctf),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_long_value),
		cmocka_unit_test(test_big_file_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
