/* ctf.c — stream a Common Transfer File into pupil records (see ctf.h).
 *
 * Element names follow the DfE's "Common transfer file: CTF 17/18/20/21
 * specification" (gov.uk, section 4.3 "XML message structure"), checked
 * against MIS code that reads and writes CTFs (Follett Aspen's UK
 * DfEPupil/DfEHeader/DfEAddress/DfEContact/DfEAttendance/DfELanguage
 * classes) and sample exporters in public repositories:
 *
 *   CTfile/Header/{DocumentName, CTFversion, DateTime}
 *   CTfile/Header/SourceSchool/{LEA, Estab, URN (CTF 18 on), SchoolName}
 *   CTfile/CTFpupilData/Pupil/
 *     UPN Surname Forename DOB Sex (Gender before CTF 20)
 *     BasicDetails/{NCyearActual, Languages/Type/{LanguageType, Language}}
 *       (older files put these straight under Pupil: both are read)
 *     LookedAfter/{InCare, CareAuthority}       (variant: CLA)
 *     FSMhistory/FSMinstance/{FSMstartDate, FSMendDate, UKcountry}
 *       (variants: an FSMinstances wrapper, FSMreview with FSMeligible)
 *     SENhistory/SEN/{StartDate, EndDate, SENprovision}
 *       (old files: SENprovision straight under SENhistory)
 *     Address/{BS7666Address/{SAON, PAON, Street, …} | AddressLines/
 *       AddressLine1…5, PostCode}
 *     Contacts/Contact/{Order, Forename, Surname, Relationship,
 *       Phones/Phone/{TelephoneType, PhoneNo}}
 *     Attendance/YearData/{Year, SessionsPossible, SessionsAuthorised,
 *       SessionsUnauthorised, [SessionsAttended],
 *       AttendSessions/{AttendanceStartDate, AttendanceMarks}}
 * Names are matched on the local name, so a namespaced file reads too.
 * Anything else is skipped.
 *
 * How fields are derived:
 *   PF_URN        the pupil's own <URN> if any, else the header's
 *   PF_ADDRESS    first line: "SAON, PAON Street", or AddressLine1
 *   PF_CONTACT    "Forename Surname, PhoneNo" of the contact with the
 *                 lowest <Order> (first in the file on a tie)
 *   PF_FSM        "1" if an FSM instance has no end date or ends after the
 *                 file's date; "0" if there is FSM history but none is
 *                 current; absent without FSMhistory
 *   PF_SEN        provision of the current SEN record (no EndDate, or one
 *                 after the file's date; the latest StartDate wins); "N"
 *                 when every record has ended.  Pre-2014 codes map to their
 *                 successors: A, P → K; S (statement) → E
 *   PF_EHCP       "1" when that provision is E, else "0"
 *   PF_EAL        first language (LanguageType F/FIR) ENG or ENB → "0",
 *                 NOT or REF → absent, any other code → "1"
 *   PF_LOOKED_AFTER  InCare true/1 → "1", false/0 → "0"
 *   attendance    the latest <Year>'s YearData (summed when the pupil has
 *                 several for that year); attended = possible − authorised
 *                 − unauthorised when not given; PF_MARKS = its marks
 *   PF_EXTRACT_DATE  the date part of the header's <DateTime>
 *
 * Safety: XML_PARSE_NONET, no XML_PARSE_NOENT/DTDLOAD/HUGE, an external
 * entity loader that loads nothing, and any DOCTYPE is refused before a
 * single element is read.  Memory: the reader frees each node once passed;
 * this file keeps only fixed-size per-pupil buffers (each value capped at
 * CTF_TEXT_MAX bytes), so a 100,000-pupil file needs no more memory than a
 * 10-pupil one. */
#include "core/ctf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/date.h"

#define CTF_DEPTH 32      /* element names kept; deeper ones are skipped */
#define CTF_NAME 48
#define CTF_TEXT_MAX 4096
#define CTF_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES | \
		     XML_PARSE_COMPACT)

/* ctf_step results besides error codes (which are >= 1000) and CTF_END. */
enum { STEP_MORE = 0, STEP_PUPIL = 1, STEP_HEADER = 2 };

/* Per-pupil text slots: what one <Pupil> has said so far. */
enum slot {
	S_UPN, S_FORENAME, S_SURNAME, S_DOB, S_GENDER, S_YEAR, S_URN, S_IN_CARE,
	S_FIRST_LANG, S_SAON, S_PAON, S_STREET, S_LINE1, S_POSTCODE, S_SEN_DIRECT,
	S_C_ORDER, S_C_FORE, S_C_SUR, S_C_PHONE,          /* contact being read */
	S_BC_FORE, S_BC_SUR, S_BC_PHONE,                  /* contact chosen */
	S_F_START, S_F_END, S_F_ELIG,                     /* FSM instance */
	S_SEN_START, S_SEN_END, S_SEN_PROV,               /* SEN record being read */
	S_BSEN_START, S_BSEN_PROV,                        /* SEN record chosen */
	S_Y_YEAR, S_Y_POSS, S_Y_AUTH, S_Y_UNAUTH, S_Y_ATT, S_Y_MARKS,  /* YearData */
	S_A_POSS, S_A_AUTH, S_A_UNAUTH, S_A_ATT, S_A_MARKS,  /* latest year */
	S_L_TYPE, S_L_CODE,                               /* Languages/Type */
	S_ADDRESS, S_CONTACT,                             /* composed output */
	S_COUNT
};

/* Where in a <Pupil> a leaf element sits. */
enum ctx {
	CTX_NONE, CTX_PUPIL, CTX_LAC, CTX_ADDRESS, CTX_BS7666, CTX_LINES, CTX_CONTACT,
	CTX_PHONE, CTX_FSM, CTX_SEN, CTX_YEAR, CTX_LANG
};

static const struct leaf {
	enum ctx ctx;
	const char *name;
	enum slot slot;
	bool first;  /* keep the first value (else the last) */
} leaves[] = {
	{CTX_PUPIL, "UPN", S_UPN, false},
	{CTX_PUPIL, "Surname", S_SURNAME, false},
	{CTX_PUPIL, "Forename", S_FORENAME, false},
	{CTX_PUPIL, "DOB", S_DOB, false},
	{CTX_PUPIL, "Sex", S_GENDER, false},
	{CTX_PUPIL, "Gender", S_GENDER, false},
	{CTX_PUPIL, "NCyearActual", S_YEAR, false},
	{CTX_PUPIL, "URN", S_URN, false},
	{CTX_PUPIL, "InCare", S_IN_CARE, false},
	{CTX_PUPIL, "CLA", S_IN_CARE, false},
	{CTX_PUPIL, "LookedAfter", S_IN_CARE, false},
	{CTX_PUPIL, "FirstLanguage", S_FIRST_LANG, false},
	{CTX_LAC, "InCare", S_IN_CARE, false},
	{CTX_LAC, "CLA", S_IN_CARE, false},
	{CTX_ADDRESS, "PostCode", S_POSTCODE, false},
	{CTX_ADDRESS, "Postcode", S_POSTCODE, false},
	{CTX_BS7666, "SAON", S_SAON, false},
	{CTX_BS7666, "PAON", S_PAON, false},
	{CTX_BS7666, "Street", S_STREET, false},
	{CTX_BS7666, "PostCode", S_POSTCODE, false},
	{CTX_LINES, "AddressLine1", S_LINE1, false},
	{CTX_LINES, "PostCode", S_POSTCODE, false},
	{CTX_CONTACT, "Order", S_C_ORDER, false},
	{CTX_CONTACT, "Forename", S_C_FORE, false},
	{CTX_CONTACT, "Surname", S_C_SUR, false},
	{CTX_PHONE, "PhoneNo", S_C_PHONE, true},
	{CTX_FSM, "FSMstartDate", S_F_START, false},
	{CTX_FSM, "FSMendDate", S_F_END, false},
	{CTX_FSM, "FSMeligible", S_F_ELIG, false},
	{CTX_SEN, "StartDate", S_SEN_START, false},
	{CTX_SEN, "EndDate", S_SEN_END, false},
	{CTX_SEN, "SENprovision", S_SEN_PROV, false},
	{CTX_YEAR, "Year", S_Y_YEAR, false},
	{CTX_YEAR, "SessionsPossible", S_Y_POSS, false},
	{CTX_YEAR, "SessionsAuthorised", S_Y_AUTH, false},
	{CTX_YEAR, "SessionsUnauthorised", S_Y_UNAUTH, false},
	{CTX_YEAR, "SessionsAttended", S_Y_ATT, false},
	{CTX_YEAR, "AttendanceMarks", S_Y_MARKS, false},
	{CTX_LANG, "LanguageType", S_L_TYPE, false},
	{CTX_LANG, "Language", S_L_CODE, false},
};

enum hslot { H_VERSION, H_DATETIME, H_DATE, H_LEA, H_ESTAB, H_URN, H_NAME, H_COUNT };

struct ctf_reader {
	xmlTextReaderPtr x;
	int fd;                        /* input: a file descriptor, or */
	const char *mem;               /* memory */
	size_t mem_len, mem_off;
	long long bytes;               /* bytes handed to libxml2 */
	bool content;                  /* seen a byte other than white space or a BOM */
	int rc;                        /* sticky failure */
	struct errinfo err;            /* its detail */
	bool xml_failed;               /* libxml2 reported an error */
	int xml_code;
	long xml_line;
	char xml_msg[160];

	char stack[CTF_DEPTH][CTF_NAME];
	int depth;                     /* elements open */
	struct buf text;               /* text of the innermost element */
	long ws_line;                  /* line of white space just read, or 0 */
	bool leaf;                     /* the element closing now has no child elements */

	bool root_seen, header_done;
	struct buf hdr[H_COUNT];
	struct ctf_header header;
	hday file_day;                 /* header date, or today */

	bool in_pupil;
	long pupil_line;
	struct buf s[S_COUNT];
	bool fsm_seen, fsm_current;
	bool sen_any, sen_best;
	bool contact_best;
	long contact_order;
	bool att_have, att_gap;
	long att_year;
};

static pthread_once_t ctf_once = PTHREAD_ONCE_INIT;

/* Hearth never needs an external entity, DTD or schema: load nothing. */
static xmlParserInputPtr ctf_no_entity(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void ctf_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(ctf_no_entity);
}

/* The name of the element up levels above the innermost open one. */
static const char *top(const struct ctf_reader *r, int up)
{
	int i = r->depth - 1 - up;
	return i >= 0 && i < CTF_DEPTH ? r->stack[i] : "";
}

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* libxml2's structured error callback: keep the first error. */
static void ctf_xml_error(void *arg, xmlErrorPtr err)
{
	struct ctf_reader *r = arg;
	if (r->xml_failed || !err || err->level < XML_ERR_ERROR)
		return;
	r->xml_failed = true;
	r->xml_code = err->code;
	r->xml_line = err->line;
	snprintf(r->xml_msg, sizeof r->xml_msg, "%s", err->message ? err->message : "unknown error");
	size_t n = strlen(r->xml_msg);
	while (n && isspace((unsigned char)r->xml_msg[n - 1]))
		r->xml_msg[--n] = '\0';
	for (char *p = r->xml_msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* Record a failure (sticky) and return its code. */
__attribute__((format(printf, 3, 4)))
static int ctf_fail(struct ctf_reader *r, long line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r->rc = HE_INVALID;
	r->err.code = HE_INVALID;
	r->err.line = (int)line;
	r->err.field[0] = '\0';
	vsnprintf(r->err.message, sizeof r->err.message, fmt, ap);
	va_end(ap);
	return r->rc;
}

static bool ctf_encoding_error(int code)
{
	return code == XML_ERR_INVALID_CHAR || code == XML_ERR_INVALID_ENCODING ||
	       code == XML_ERR_UNKNOWN_ENCODING || code == XML_ERR_UNSUPPORTED_ENCODING;
}

/* Turn libxml2's first error into ours.  At the end of the input 2.9's
 * reader says "Extra content at the end of the document" whether the file
 * is empty, cut short or has trailing junk: tell those apart. */
static int ctf_xml_fail(struct ctf_reader *r)
{
	long line = r->xml_line;
	if (!r->xml_failed)
		return ctf_fail(r, xmlTextReaderGetParserLineNumber(r->x),
				"the file could not be read as XML");
	if (!r->content)
		return ctf_fail(r, 0, "the file is empty: a Common Transfer File is XML");
	if (ctf_encoding_error(r->xml_code))
		return ctf_fail(r, line, "the file's text is not in its declared encoding at"
				" line %ld (save it as UTF-8): %s", line, r->xml_msg);
	if (r->xml_code == XML_ERR_DOCUMENT_EMPTY)
		return ctf_fail(r, line, "the file is not XML: a Common Transfer File starts with"
				" <?xml or <CTfile>");
	if (r->xml_code == XML_ERR_DOCUMENT_END && (r->depth > 0 || !r->root_seen))
		return ctf_fail(r, line, "the file is not well-formed XML: it ends at line %ld before"
				" the XML is complete, or has more after it (is it cut short?)", line);
	if (r->xml_code == XML_ERR_DOCUMENT_END)
		return ctf_fail(r, line, "the file is not well-formed XML at line %ld: there is"
				" more after </CTfile>", line);
	return ctf_fail(r, line, "the file is not well-formed XML at line %ld: %s", line,
			r->xml_msg);
}

/* Line of the current node.  libxml2 keeps element lines in 16 bits, so
 * past line 65535 use the line of the white space read just before it
 * (text nodes keep big lines), else where the parser has got to. */
static long ctf_line(struct ctf_reader *r)
{
	xmlNodePtr n = xmlTextReaderCurrentNode(r->x);
	long line = n ? xmlGetLineNo(n) : -1;
	if (line > 0 && line < 65535)
		return line;
	if (r->ws_line > 0)
		return r->ws_line;
	return xmlTextReaderGetParserLineNumber(r->x);
}

/* Trimmed value of slot k, or NULL when empty. */
static const char *sv(struct ctf_reader *r, enum slot k)
{
	return r->s[k].len ? r->s[k].data : NULL;
}

static void sset(struct ctf_reader *r, enum slot k, const char *v, size_t n)
{
	while (n && isspace((unsigned char)*v))
		v++, n--;
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	buf_reset(&r->s[k]);
	buf_append(&r->s[k], v, n);
}

static void scopy(struct ctf_reader *r, enum slot to, enum slot from)
{
	buf_reset(&r->s[to]);
	buf_append(&r->s[to], r->s[from].data, r->s[from].len);
}

static void sreset(struct ctf_reader *r, enum slot first, enum slot last)
{
	for (int k = (int)first; k <= (int)last; k++)
		buf_reset(&r->s[k]);
}

/* A whole number of at most 9 digits. */
static bool ctf_num(const char *s, long *out)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 9 || strspn(s, "0123456789") != n)
		return false;
	*out = strtol(s, NULL, 10);
	return true;
}

/* "YYYY-MM-DD", optionally followed by a time ("T…"). */
static bool ctf_date(const char *s, hday *out)
{
	char d[11];
	if (!s || strlen(s) < 10 || (s[10] && s[10] != 'T' && s[10] != ' '))
		return false;
	memcpy(d, s, 10);
	d[10] = '\0';
	return date_parse(d, out);
}

static bool ctf_yes(const char *v)
{
	return !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "Y") ||
	       !strcasecmp(v, "yes");
}

static bool ctf_no(const char *v)
{
	return !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "N") ||
	       !strcasecmp(v, "no");
}

/* ---- header ---------------------------------------------------------- */

static void ctf_header_leaf(struct ctf_reader *r, const char *name, const char *v)
{
	static const struct { const char *parent, *name; enum hslot h; } map[] = {
		{"Header", "CTFversion", H_VERSION}, {"Header", "DateTime", H_DATETIME},
		{"SourceSchool", "LEA", H_LEA}, {"SourceSchool", "Estab", H_ESTAB},
		{"SourceSchool", "URN", H_URN}, {"SourceSchool", "SchoolName", H_NAME},
	};
	const char *parent = top(r, 1);
	if (is(parent, "SourceSchool") && !is(top(r, 2), "Header"))
		return;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (is(parent, map[i].parent) && is(name, map[i].name)) {
			buf_reset(&r->hdr[map[i].h]);
			buf_puts(&r->hdr[map[i].h], v);
		}
	}
}

static void ctf_header_done(struct ctf_reader *r)
{
	hday d;
	r->header_done = true;
	r->file_day = date_today();
	if (ctf_date(buf_str(&r->hdr[H_DATETIME]), &d)) {
		char s[11];
		date_format(d, s);
		buf_puts(&r->hdr[H_DATE], s);
		r->file_day = d;
	}
	r->header.version = buf_str(&r->hdr[H_VERSION]);
	r->header.datetime = buf_str(&r->hdr[H_DATETIME]);
	r->header.date = buf_str(&r->hdr[H_DATE]);
	r->header.lea = buf_str(&r->hdr[H_LEA]);
	r->header.estab = buf_str(&r->hdr[H_ESTAB]);
	r->header.urn = buf_str(&r->hdr[H_URN]);
	r->header.school_name = buf_str(&r->hdr[H_NAME]);
}

/* ---- pupil: where a leaf sits, and the groups within a pupil --------- */

/* Is one of the elements between <Pupil> and the leaf called name? */
static bool within(const struct ctf_reader *r, const char *name)
{
	for (int i = 3; i < r->depth - 1 && i < CTF_DEPTH; i++)
		if (is(r->stack[i], name))
			return true;
	return false;
}

static enum ctx ctf_ctx(const struct ctf_reader *r)
{
	int n = r->depth - 3;  /* elements below <Pupil>, the leaf included */
	const char *p0 = r->stack[3], *p1 = n >= 3 ? r->stack[4] : "";
	if (n == 1 || (n == 2 && is(p0, "BasicDetails")))
		return CTX_PUPIL;
	if (is(p0, "LookedAfter"))
		return CTX_LAC;
	if (is(p0, "Address"))
		return n == 2 ? CTX_ADDRESS : is(p1, "BS7666Address") ? CTX_BS7666 :
		       is(p1, "AddressLines") ? CTX_LINES : CTX_NONE;
	if (is(p0, "Contacts") && is(p1, "Contact"))
		return n == 3 ? CTX_CONTACT : (n == 5 && is(top(r, 2), "Phones")) ? CTX_PHONE : CTX_NONE;
	if (within(r, "FSMhistory"))
		return CTX_FSM;
	if (within(r, "SENhistory"))
		return CTX_SEN;
	if (within(r, "Attendance") && within(r, "YearData"))
		return CTX_YEAR;
	if (within(r, "Languages") && is(top(r, 1), "Type"))
		return CTX_LANG;
	return CTX_NONE;
}

static int ctf_pupil_leaf(struct ctf_reader *r, const char *name)
{
	if (r->depth > CTF_DEPTH || r->depth < 4 || !r->leaf)
		return STEP_MORE;
	enum ctx c = ctf_ctx(r);
	if (c == CTX_SEN && is(name, "SENprovision") && is(top(r, 1), "SENhistory")) {
		sset(r, S_SEN_DIRECT, r->text.data, r->text.len);
		return STEP_MORE;
	}
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
		const struct leaf *l = &leaves[i];
		if (l->ctx != c || !is(l->name, name))
			continue;
		if (buf_err(&r->text))
			return ctf_fail(r, ctf_line(r), "line %ld: <%s> holds more than %d characters",
					ctf_line(r), name, CTF_TEXT_MAX);
		if (!l->first || !r->s[l->slot].len)
			sset(r, l->slot, r->text.data, r->text.len);
		return STEP_MORE;
	}
	return STEP_MORE;
}

static void ctf_pupil_start(struct ctf_reader *r)
{
	r->in_pupil = true;
	r->pupil_line = ctf_line(r);
	sreset(r, 0, S_COUNT - 1);
	r->fsm_seen = r->fsm_current = false;
	r->sen_any = r->sen_best = false;
	r->contact_best = false;
	r->att_have = r->att_gap = false;
}

/* A group within the pupil opens: forget the previous one's values. */
static void ctf_group_start(struct ctf_reader *r, const char *name)
{
	const char *parent = top(r, 1);
	if (is(name, "FSMhistory"))
		r->fsm_seen = true;
	else if (is(name, "FSMinstance") || is(name, "FSMreview"))
		sreset(r, S_F_START, S_F_ELIG);
	else if (is(name, "SEN") && is(parent, "SENhistory"))
		sreset(r, S_SEN_START, S_SEN_PROV);
	else if (is(name, "Contact") && is(parent, "Contacts"))
		sreset(r, S_C_ORDER, S_C_PHONE);
	else if (is(name, "YearData"))
		sreset(r, S_Y_YEAR, S_Y_MARKS);
	else if (is(name, "Type") && is(parent, "Languages"))
		sreset(r, S_L_TYPE, S_L_CODE);
}

static void ctf_fsm_end(struct ctf_reader *r)
{
	const char *elig = sv(r, S_F_ELIG), *end = sv(r, S_F_END);
	hday d;
	if (elig && ctf_no(elig))
		return;
	/* An end date that is not a date cannot show the instance current. */
	if (!end || (ctf_date(end, &d) && d > r->file_day))
		r->fsm_current = true;
}

static void ctf_sen_end(struct ctf_reader *r)
{
	const char *prov = sv(r, S_SEN_PROV), *end = sv(r, S_SEN_END);
	const char *start = sv(r, S_SEN_START);
	hday d;
	if (!prov)
		return;
	r->sen_any = true;
	if (end && ctf_date(end, &d) && d <= r->file_day)
		return;
	if (r->sen_best && start && strcmp(start, buf_str(&r->s[S_BSEN_START])) < 0)
		return;
	r->sen_best = true;
	scopy(r, S_BSEN_START, S_SEN_START);
	scopy(r, S_BSEN_PROV, S_SEN_PROV);
}

static void ctf_contact_end(struct ctf_reader *r)
{
	long order = LONG_MAX;
	if (!sv(r, S_C_FORE) && !sv(r, S_C_SUR) && !sv(r, S_C_PHONE))
		return;
	if (sv(r, S_C_ORDER))
		ctf_num(sv(r, S_C_ORDER), &order);
	if (r->contact_best && order >= r->contact_order)
		return;
	r->contact_best = true;
	r->contact_order = order;
	scopy(r, S_BC_FORE, S_C_FORE);
	scopy(r, S_BC_SUR, S_C_SUR);
	scopy(r, S_BC_PHONE, S_C_PHONE);
}

/* Add a count from a second YearData of the same year into slot to. */
static void ctf_add_count(struct ctf_reader *r, enum slot to, enum slot from)
{
	long a, b;
	const char *x = sv(r, to), *y = sv(r, from);
	if (!y)
		return;
	if (!x || (ctf_num(x, &a) && !ctf_num(y, &b))) {
		scopy(r, to, from);  /* a bad value wins: validation names it */
	} else if (ctf_num(x, &a) && ctf_num(y, &b)) {
		buf_reset(&r->s[to]);
		buf_printf(&r->s[to], "%ld", a + b);
	}
}

static void ctf_year_end(struct ctf_reader *r)
{
	long year = -1, p, a, u;
	const char *y = sv(r, S_Y_YEAR);
	if (y)
		year = strtol(y, NULL, 10);
	if (!sv(r, S_Y_ATT) && ctf_num(sv(r, S_Y_POSS), &p) && ctf_num(sv(r, S_Y_AUTH), &a) &&
	    ctf_num(sv(r, S_Y_UNAUTH), &u) && p - a - u >= 0) {
		buf_reset(&r->s[S_Y_ATT]);
		buf_printf(&r->s[S_Y_ATT], "%ld", p - a - u);
	}
	if (r->att_have && year < r->att_year)
		return;
	if (!r->att_have || year > r->att_year) {
		r->att_have = true;
		r->att_year = year;
		r->att_gap = false;
		sreset(r, S_A_POSS, S_A_MARKS);
	} else if (!sv(r, S_A_ATT) != !sv(r, S_Y_ATT)) {
		r->att_gap = true;  /* attended known for one part of the year only */
	}
	ctf_add_count(r, S_A_POSS, S_Y_POSS);
	ctf_add_count(r, S_A_AUTH, S_Y_AUTH);
	ctf_add_count(r, S_A_UNAUTH, S_Y_UNAUTH);
	ctf_add_count(r, S_A_ATT, S_Y_ATT);
	buf_append(&r->s[S_A_MARKS], r->s[S_Y_MARKS].data, r->s[S_Y_MARKS].len);
}

static void ctf_lang_end(struct ctf_reader *r)
{
	const char *type = sv(r, S_L_TYPE), *code = sv(r, S_L_CODE);
	if (!code || sv(r, S_FIRST_LANG))
		return;
	if (!type || !strcasecmp(type, "F") || !strcasecmp(type, "FIR") ||
	    !strcasecmp(type, "FL") || !strcasecmp(type, "First"))
		scopy(r, S_FIRST_LANG, S_L_CODE);
}

/* A group within the pupil closes: fold its values in. */
static void ctf_group_end(struct ctf_reader *r, const char *name)
{
	const char *parent = top(r, 1);
	if ((is(name, "FSMinstance") || is(name, "FSMreview")) && within(r, "FSMhistory"))
		ctf_fsm_end(r);
	else if (is(name, "SEN") && is(parent, "SENhistory"))
		ctf_sen_end(r);
	else if (is(name, "Contact") && is(parent, "Contacts"))
		ctf_contact_end(r);
	else if (is(name, "YearData") && within(r, "Attendance"))
		ctf_year_end(r);
	else if (is(name, "Type") && is(parent, "Languages"))
		ctf_lang_end(r);
}

/* ---- pupil: the finished record ------------------------------------- */

static const char *ctf_sen_code(const char *v)
{
	if (!v || strlen(v) != 1)
		return v;
	switch (toupper((unsigned char)v[0])) {
	case 'N': return "N";
	case 'K': case 'A': case 'P': return "K";
	case 'E': case 'S': return "E";
	default: return v;
	}
}

static const char *ctf_eal(const char *code)
{
	if (!code || !strcasecmp(code, "NOT") || !strcasecmp(code, "REF"))
		return NULL;
	return !strcasecmp(code, "ENG") || !strcasecmp(code, "ENB") ? "0" : "1";
}

static const char *ctf_flag(const char *v)
{
	if (!v)
		return NULL;
	return ctf_yes(v) ? "1" : ctf_no(v) ? "0" : v;
}

static void ctf_compose(struct ctf_reader *r)
{
	struct buf *a = &r->s[S_ADDRESS], *c = &r->s[S_CONTACT];
	if (sv(r, S_PAON) || sv(r, S_STREET)) {
		if (sv(r, S_SAON))
			buf_printf(a, "%s, ", sv(r, S_SAON));
		buf_printf(a, "%s%s%s", buf_str(&r->s[S_PAON]),
			   sv(r, S_PAON) && sv(r, S_STREET) ? " " : "", buf_str(&r->s[S_STREET]));
	} else if (sv(r, S_LINE1)) {
		buf_puts(a, sv(r, S_LINE1));
	}
	if (!r->contact_best)
		return;
	buf_printf(c, "%s%s%s", buf_str(&r->s[S_BC_FORE]),
		   sv(r, S_BC_FORE) && sv(r, S_BC_SUR) ? " " : "", buf_str(&r->s[S_BC_SUR]));
	if (sv(r, S_BC_PHONE))
		buf_printf(c, "%s%s", c->len ? ", " : "", sv(r, S_BC_PHONE));
}

static void ctf_finish(struct ctf_reader *r, struct pupil_rec *rec)
{
	const char **v = rec->v;
	const char *sen;
	memset(rec, 0, sizeof *rec);
	rec->line = r->pupil_line;
	ctf_compose(r);
	v[PF_UPN] = sv(r, S_UPN);
	v[PF_FORENAME] = sv(r, S_FORENAME);
	v[PF_SURNAME] = sv(r, S_SURNAME);
	v[PF_DOB] = sv(r, S_DOB);
	v[PF_GENDER] = sv(r, S_GENDER);
	v[PF_YEAR] = sv(r, S_YEAR);
	v[PF_URN] = sv(r, S_URN) ? sv(r, S_URN) : *r->header.urn ? r->header.urn : NULL;
	v[PF_POSTCODE] = sv(r, S_POSTCODE);
	v[PF_ADDRESS] = sv(r, S_ADDRESS);
	v[PF_CONTACT] = sv(r, S_CONTACT);
	v[PF_FSM] = r->fsm_seen ? (r->fsm_current ? "1" : "0") : NULL;
	sen = r->sen_best ? ctf_sen_code(sv(r, S_BSEN_PROV)) : r->sen_any ? "N" :
	      ctf_sen_code(sv(r, S_SEN_DIRECT));
	v[PF_SEN] = sen;
	v[PF_EHCP] = sen ? (is(sen, "E") ? "1" : "0") : NULL;
	v[PF_EAL] = ctf_eal(sv(r, S_FIRST_LANG));
	v[PF_LOOKED_AFTER] = ctf_flag(sv(r, S_IN_CARE));
	v[PF_SESS_POSSIBLE] = sv(r, S_A_POSS);
	v[PF_SESS_ATTENDED] = r->att_gap ? NULL : sv(r, S_A_ATT);
	v[PF_AUTH_ABSENCE] = sv(r, S_A_AUTH);
	v[PF_UNAUTH_ABSENCE] = sv(r, S_A_UNAUTH);
	v[PF_MARKS] = sv(r, S_A_MARKS);
	v[PF_EXTRACT_DATE] = *r->header.date ? r->header.date : NULL;
}

/* ---- the event loop -------------------------------------------------- */

static int ctf_root(struct ctf_reader *r, const char *name)
{
	r->root_seen = true;
	if (!is(name, "CTfile"))
		return ctf_fail(r, ctf_line(r), "not a Common Transfer File: the root element is"
				" <%.40s> (line %ld), not <CTfile>", name, ctf_line(r));
	return STEP_MORE;
}

static int ctf_start(struct ctf_reader *r)
{
	const char *name = (const char *)xmlTextReaderConstLocalName(r->x);
	int rc = STEP_MORE;
	name = name ? name : "";
	if (!r->root_seen && (rc = ctf_root(r, name)))
		return rc;
	if (r->depth == 1 && is(name, "CTFpupilData") && !r->header_done)
		return ctf_fail(r, ctf_line(r), "not a Common Transfer File: there is no <Header>"
				" before <CTFpupilData> (line %ld)", ctf_line(r));
	if (r->depth == 2 && is(name, "Pupil") && is(top(r, 0), "CTFpupilData"))
		ctf_pupil_start(r);
	if (r->depth < CTF_DEPTH)
		snprintf(r->stack[r->depth], CTF_NAME, "%s", name);
	r->depth++;
	buf_reset(&r->text);
	r->ws_line = 0;
	r->leaf = true;
	if (r->in_pupil)
		ctf_group_start(r, name);
	return STEP_MORE;
}

/* An element closes (or was empty): use its text, then pop it. */
static int ctf_end(struct ctf_reader *r)
{
	int rc = STEP_MORE;
	const char *name = top(r, 0);
	r->ws_line = 0;
	if (r->in_pupil && r->depth == 3) {
		r->in_pupil = false;
		rc = STEP_PUPIL;
	} else if (r->in_pupil) {
		if ((rc = ctf_pupil_leaf(r, name)))
			return rc;
		ctf_group_end(r, name);
	} else if (!r->header_done && r->depth >= 2 && is(r->stack[1], "Header")) {
		if (r->depth == 2)
			rc = (ctf_header_done(r), STEP_HEADER);
		else if (r->leaf)
			ctf_header_leaf(r, name, buf_str(&r->text));
	}
	buf_reset(&r->text);
	r->leaf = false;
	r->depth--;
	return rc;
}

static void ctf_text(struct ctf_reader *r)
{
	const char *v = (const char *)xmlTextReaderConstValue(r->x);
	if (v)
		buf_puts(&r->text, v);
}

static int ctf_node(struct ctf_reader *r)
{
	int rc;
	switch (xmlTextReaderNodeType(r->x)) {
	case XML_READER_TYPE_ELEMENT:
		if ((rc = ctf_start(r)) || !xmlTextReaderIsEmptyElement(r->x))
			return rc;
		return ctf_end(r);
	case XML_READER_TYPE_END_ELEMENT:
		return ctf_end(r);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
		ctf_text(r);
		return STEP_MORE;
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE: {
		xmlNodePtr n = xmlTextReaderCurrentNode(r->x);
		r->ws_line = n ? xmlGetLineNo(n) : 0;
		return STEP_MORE;
	}
	case XML_READER_TYPE_DOCUMENT_TYPE:
		/* libxml2 keeps no line for it; it is in the prologue. */
		return ctf_fail(r, 0, "the file declares a <!DOCTYPE>, which a Common Transfer"
				" File never has: Hearth refuses it for safety (it could make the"
				" reader fetch other files)");
	case XML_READER_TYPE_ENTITY_REFERENCE:
		return ctf_fail(r, ctf_line(r), "line %ld: entity references are not allowed",
				ctf_line(r));
	default:
		return STEP_MORE;
	}
}

/* Read one node: STEP_*, CTF_END, or an error code. */
static int ctf_step(struct ctf_reader *r)
{
	if (r->rc)
		return r->rc;
	int ret = xmlTextReaderRead(r->x);
	if (ret < 0 || r->xml_failed)
		return ctf_xml_fail(r);
	if (ret == 0) {
		if (!r->root_seen)
			return ctf_fail(r, 0, "the file is empty: a Common Transfer File is XML");
		if (!r->header_done)
			return ctf_fail(r, 0, "not a Common Transfer File: it has no <Header>");
		return CTF_END;
	}
	return ctf_node(r);
}

/* ---- public ---------------------------------------------------------- */

static struct ctf_reader *ctf_new(void)
{
	struct ctf_reader *r = xcalloc(1, sizeof *r);
	buf_init(&r->text, CTF_TEXT_MAX);
	for (int k = 0; k < S_COUNT; k++)
		buf_init(&r->s[k], k == S_A_MARKS ? 4 * CTF_TEXT_MAX : CTF_TEXT_MAX);
	for (int h = 0; h < H_COUNT; h++)
		buf_init(&r->hdr[h], CTF_TEXT_MAX);
	return r;
}

/* Read up to the end of the header; take ownership of x. */
static int ctf_start_reader(struct ctf_reader *r, xmlTextReaderPtr x, struct ctf_reader **out,
			    struct errinfo *e)
{
	int rc;
	r->x = x;
	if (!x) {
		rc = ctf_fail(r, 0, "the file could not be opened as XML");
		goto fail;
	}
	xmlTextReaderSetStructuredErrorHandler(x, ctf_xml_error, r);
	while ((rc = ctf_step(r)) == STEP_MORE || rc == STEP_PUPIL)
		;
	if (rc != STEP_HEADER)
		goto fail;
	*out = r;
	return HE_OK;
fail:
	rc = r->rc ? r->rc : HE_INVALID;
	if (e)
		*e = r->err;
	ctf_close(r);
	return rc;
}

/* Note whether the input has anything but white space (and a UTF-8 BOM),
 * to tell an empty file from a broken one. */
static void ctf_saw(struct ctf_reader *r, const char *p, int n)
{
	for (int i = 0; i < n && !r->content; i++) {
		unsigned char c = (unsigned char)p[i];
		r->content = !isspace(c) && c != 0xEF && c != 0xBB && c != 0xBF;
	}
	r->bytes += n;
}

static int ctf_read_fd(void *ctx, char *out, int len)
{
	struct ctf_reader *r = ctx;
	ssize_t n;
	do
		n = read(r->fd, out, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		ctf_saw(r, out, (int)n);
	return n < 0 ? -1 : (int)n;
}

static int ctf_read_mem(void *ctx, char *out, int len)
{
	struct ctf_reader *r = ctx;
	size_t n = r->mem_len - r->mem_off;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(out, r->mem + r->mem_off, n);
	r->mem_off += n;
	ctf_saw(r, out, (int)n);
	return (int)n;
}

static int ctf_open(struct ctf_reader *r, xmlInputReadCallback rd, struct ctf_reader **out,
		    struct errinfo *e)
{
	pthread_once(&ctf_once, ctf_init);
	return ctf_start_reader(r, xmlReaderForIO(rd, NULL, r, NULL, NULL, CTF_OPTIONS), out, e);
}

int ctf_open_fd(int fd, struct ctf_reader **out, struct errinfo *e)
{
	struct ctf_reader *r = ctf_new();
	*out = NULL;
	r->fd = fd;
	return ctf_open(r, ctf_read_fd, out, e);
}

int ctf_open_mem(const char *data, size_t len, struct ctf_reader **out, struct errinfo *e)
{
	struct ctf_reader *r = ctf_new();
	*out = NULL;
	r->fd = -1;
	r->mem = data;
	r->mem_len = len;
	return ctf_open(r, ctf_read_mem, out, e);
}

const struct ctf_header *ctf_header(const struct ctf_reader *r)
{
	return &r->header;
}

int ctf_next(struct ctf_reader *r, struct pupil_rec *rec, struct errinfo *e)
{
	int rc;
	while ((rc = ctf_step(r)) == STEP_MORE || rc == STEP_HEADER)
		;
	if (rc == STEP_PUPIL) {
		ctf_finish(r, rec);
		return HE_OK;
	}
	if (rc != CTF_END && e)
		*e = r->err;
	return rc;
}

long long ctf_bytes_read(const struct ctf_reader *r)
{
	return r->bytes;
}

void ctf_close(struct ctf_reader *r)
{
	if (!r)
		return;
	if (r->x)
		xmlFreeTextReader(r->x);
	buf_free(&r->text);
	for (int k = 0; k < S_COUNT; k++)
		buf_free(&r->s[k]);
	for (int h = 0; h < H_COUNT; h++)
		buf_free(&r->hdr[h]);
	free(r);
}
