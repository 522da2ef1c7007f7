/*
 * tpchgen.c - TPC-H-shaped tables for tarn's benchmarks.
 *
 * Owns: writing the eight TPC-H tables (region, nation, supplier, customer,
 * part, partsupp, orders, lineitem) at a scale factor, as CSV or JSON Lines.
 * Column names, column types, cardinalities and value ranges follow the TPC-H
 * specification (clause 4.2); the bytes are not those of dbgen: comments are
 * drawn from a small word grammar of our own, not from dbgen's text pool.
 * Relies on libc and libm only. Single-threaded.
 *
 * Design notes
 *  1. Every row draws from its own PRNG stream, seeded from (seed, table, key).
 *     A table's bytes therefore do not depend on which other tables were asked
 *     for, and a later parallel version can split the key range anywhere.
 *  2. orders and lineitem come from one driver, gen_orders(): an order's
 *     status and total price are functions of its lines. Each line has its own
 *     stream too, so skipping a line's comment when lineitem is not written
 *     does not change anything else.
 *  3. Each output file has one large buffer; a row is formatted straight into
 *     it by hand-written integer, decimal and date code, and the buffer is
 *     flushed while at least ROW_MAX bytes are still free, so a row never has
 *     to check for space.
 *  4. A file is written as NAME.tmp and renamed when complete: a file that
 *     exists under its final name is whole (the bench Makefile relies on it).
 *
 * Text shape: comments are sentences of nouns, verbs, adjectives, adverbs and
 * prepositions, cut to a length drawn from the column's TPC-H range and
 * sometimes started mid-word, like dbgen's. Roughly one comment in twenty has
 * a comma and about one in a thousand has a double quote, so CSV quoting and
 * JSON escaping are exercised on every run; addresses have commas too.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define OUT_BUF_SIZE (8u << 20)
/* No table has more than 16 columns, no string is longer than TEXT_MAX, and
 * escaping at most doubles a string: 16 * (2 * 256 + 64) < 16384. */
#define ROW_MAX 16384u
#define TEXT_MAX 256u

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64, one stream per row (design note 1).                      */

struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return mix64(r->s);
}

static struct rng rng_for(uint64_t seed, unsigned table, uint64_t key)
{
	struct rng r = {mix64(seed ^ mix64(((uint64_t)table << 56) ^ key))};
	return r;
}

/* Uniform integer in [lo, hi], by multiply-shift rather than modulo. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1;
	if (span >> 32) /* only keys at SF > ~20000; the modulo bias is < 2^-30 */
		return lo + (int64_t)(rng_next(r) % span);
	return lo + (int64_t)(((rng_next(r) >> 32) * span) >> 32);
}

/* ------------------------------------------------------------------------ */
/* Vocabularies. Lists of values that TPC-H fixes (nations, regions, colours,  */
/* part types, containers, ...) are written as the spec gives them.           */

struct word {
	const char *s;
	unsigned n;
};
#define W(lit) {lit, sizeof(lit) - 1}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct word regions[] = {
	W("AFRICA"), W("AMERICA"), W("ASIA"), W("EUROPE"), W("MIDDLE EAST"),
};

static const struct {
	struct word name;
	int region;
} nations[] = {
	{W("ALGERIA"), 0},	  {W("ARGENTINA"), 1},	  {W("BRAZIL"), 1},
	{W("CANADA"), 1},	  {W("EGYPT"), 4},	  {W("ETHIOPIA"), 0},
	{W("FRANCE"), 3},	  {W("GERMANY"), 3},	  {W("INDIA"), 2},
	{W("INDONESIA"), 2},	  {W("IRAN"), 4},	  {W("IRAQ"), 4},
	{W("JAPAN"), 2},	  {W("JORDAN"), 4},	  {W("KENYA"), 0},
	{W("MOROCCO"), 0},	  {W("MOZAMBIQUE"), 0},	  {W("PERU"), 1},
	{W("CHINA"), 2},	  {W("ROMANIA"), 3},	  {W("SAUDI ARABIA"), 4},
	{W("VIETNAM"), 2},	  {W("RUSSIA"), 3},	  {W("UNITED KINGDOM"), 3},
	{W("UNITED STATES"), 1},
};

static const struct word colors[] = {
	W("almond"),	 W("antique"),	  W("aquamarine"), W("azure"),	   W("beige"),
	W("bisque"),	 W("black"),	  W("blanched"),   W("blue"),	   W("blush"),
	W("brown"),	 W("burlywood"),  W("burnished"),  W("chartreuse"), W("chiffon"),
	W("chocolate"),	 W("coral"),	  W("cornflower"), W("cornsilk"),  W("cream"),
	W("cyan"),	 W("dark"),	  W("deep"),	   W("dim"),	   W("dodger"),
	W("drab"),	 W("firebrick"),  W("floral"),	   W("forest"),	   W("frosted"),
	W("gainsboro"),	 W("ghost"),	  W("goldenrod"),  W("green"),	   W("grey"),
	W("honeydew"),	 W("hot"),	  W("indian"),	   W("ivory"),	   W("khaki"),
	W("lace"),	 W("lavender"),	  W("lawn"),	   W("lemon"),	   W("light"),
	W("lime"),	 W("linen"),	  W("magenta"),	   W("maroon"),	   W("medium"),
	W("metallic"),	 W("midnight"),	  W("mint"),	   W("misty"),	   W("moccasin"),
	W("navajo"),	 W("navy"),	  W("olive"),	   W("orange"),	   W("orchid"),
	W("pale"),	 W("papaya"),	  W("peach"),	   W("peru"),	   W("pink"),
	W("plum"),	 W("powder"),	  W("puff"),	   W("purple"),	   W("red"),
	W("rose"),	 W("rosy"),	  W("royal"),	   W("saddle"),	   W("salmon"),
	W("sandy"),	 W("seashell"),	  W("sienna"),	   W("sky"),	   W("slate"),
	W("smoke"),	 W("snow"),	  W("spring"),	   W("steel"),	   W("tan"),
	W("thistle"),	 W("tomato"),	  W("turquoise"),  W("violet"),	   W("wheat"),
	W("white"),	 W("yellow"),
};

static const struct word type_size[] = {
	W("STANDARD"), W("SMALL"), W("MEDIUM"), W("LARGE"), W("ECONOMY"), W("PROMO"),
};
static const struct word type_finish[] = {
	W("ANODIZED"), W("BURNISHED"), W("PLATED"), W("POLISHED"), W("BRUSHED"),
};
static const struct word type_metal[] = {
	W("TIN"), W("NICKEL"), W("BRASS"), W("STEEL"), W("COPPER"),
};
static const struct word container_size[] = {
	W("SM"), W("LG"), W("MED"), W("JUMBO"), W("WRAP"),
};
static const struct word container_kind[] = {
	W("CASE"), W("BOX"), W("BAG"), W("JAR"), W("PKG"), W("PACK"), W("CAN"), W("DRUM"),
};
static const struct word segments[] = {
	W("AUTOMOBILE"), W("BUILDING"), W("FURNITURE"), W("MACHINERY"), W("HOUSEHOLD"),
};
static const struct word priorities[] = {
	W("1-URGENT"), W("2-HIGH"), W("3-MEDIUM"), W("4-NOT SPECIFIED"), W("5-LOW"),
};
static const struct word instructions[] = {
	W("DELIVER IN PERSON"), W("COLLECT COD"), W("NONE"), W("TAKE BACK RETURN"),
};
static const struct word modes[] = {
	W("REG AIR"), W("AIR"), W("RAIL"), W("SHIP"), W("TRUCK"), W("MAIL"), W("FOB"),
};

/* The comment grammar's parts of speech, one letter each in templates[]. */
static const struct word nouns[] = {
	W("foxes"),	    W("ideas"),	      W("theodolites"), W("pinto beans"),
	W("instructions"),  W("dependencies"), W("excuses"),	 W("platelets"),
	W("asymptotes"),    W("courts"),       W("dolphins"),	 W("multipliers"),
	W("sauternes"),	    W("warthogs"),     W("frets"),	 W("dinos"),
	W("attainments"),   W("somas"),	       W("patterns"),	 W("forges"),
	W("braids"),	    W("frays"),	       W("warhorses"),	 W("dugouts"),
	W("epitaphs"),	    W("pearls"),       W("tithes"),	 W("waters"),
	W("orbits"),	    W("gifts"),	       W("sheaves"),	 W("depths"),
	W("sentiments"),    W("decoys"),       W("realms"),	 W("pains"),
	W("grouches"),	    W("escapades"),    W("packages"),	 W("requests"),
	W("accounts"),	    W("deposits"),     W("ironies"),	 W("hockey players"),
};
static const struct word verbs[] = {
	W("sleep"),  W("wake"),	  W("are"),	 W("cajole"),	W("haggle"),
	W("nag"),    W("use"),	  W("boost"),	 W("affix"),	W("detect"),
	W("integrate"), W("maintain"), W("nod"), W("was"),	W("lose"),
	W("sublate"), W("solve"), W("thrash"),	 W("promise"),	W("engage"),
	W("hinder"), W("print"),  W("x-ray"),	 W("breach"),	W("eat"),
	W("grow"),   W("impress"), W("mold"),	 W("poach"),	W("serve"),
	W("run"),    W("dazzle"), W("snooze"),	 W("doze"),	W("unwind"),
	W("kindle"), W("play"),	  W("hang"),	 W("believe"),	W("doubt"),
};
static const struct word adjectives[] = {
	W("furious"), W("sly"),	    W("careful"),   W("blithe"), W("quick"),
	W("fluffy"),  W("slow"),    W("quiet"),	    W("ruthless"), W("thin"),
	W("close"),   W("dogged"),  W("daring"),    W("brave"),	 W("stealthy"),
	W("permanent"), W("enticing"), W("idle"),   W("busy"),	 W("regular"),
	W("final"),   W("ironic"),  W("even"),	    W("bold"),	 W("silent"),
	W("special"), W("pending"), W("unusual"),   W("express"),
};
static const struct word adverbs[] = {
	W("furiously"), W("slyly"),	 W("carefully"), W("blithely"),
	W("quickly"),	W("fluffily"),	 W("slowly"),	 W("quietly"),
	W("ruthlessly"), W("thinly"),	 W("closely"),	 W("doggedly"),
	W("daringly"),	W("bravely"),	 W("stealthily"), W("permanently"),
	W("enticingly"), W("idly"),	 W("busily"),	 W("regularly"),
	W("finally"),	W("ironically"), W("evenly"),	 W("boldly"),
	W("silently"),
};
static const struct word prepositions[] = {
	W("about"),   W("above"),      W("according to"), W("across"),	  W("after"),
	W("against"), W("along"),      W("among"),	  W("around"),	  W("at"),
	W("atop"),    W("before"),     W("behind"),	  W("beneath"),	  W("beside"),
	W("between"), W("beyond"),     W("by"),		  W("despite"),	  W("during"),
	W("except"),  W("for"),	       W("from"),	  W("inside"),	  W("instead of"),
	W("into"),    W("near"),       W("of"),		  W("on"),	  W("outside"),
	W("over"),    W("past"),       W("since"),	  W("through"),	  W("toward"),
	W("under"),   W("until"),      W("upon"),	  W("without"),	  W("with"),
};
static const struct word the[] = {W("the")};

/* N noun, V verb, J adjective, D adverb, P preposition, T "the". */
static const char *const templates[] = {
	"NV",	 "JNV",	   "NVD",      "DJNV",	  "NVPTN",    "JNVDPTJN",
	"TJNVPTN", "NVTN", "JJNVD",    "DVTJN",	  "NDVPTJN",  "JNVPTJN",
};

/* Sentence ends. Commas here are what make some comments need CSV quoting. */
static const char punctuation[] = ".........;:!?,,";

static const struct word *pick_word(struct rng *r, char pos)
{
	switch (pos) {
	case 'N': return &nouns[rng_range(r, 0, COUNT(nouns) - 1)];
	case 'V': return &verbs[rng_range(r, 0, COUNT(verbs) - 1)];
	case 'J': return &adjectives[rng_range(r, 0, COUNT(adjectives) - 1)];
	case 'D': return &adverbs[rng_range(r, 0, COUNT(adverbs) - 1)];
	case 'P': return &prepositions[rng_range(r, 0, COUNT(prepositions) - 1)];
	default: return &the[0];
	}
}

/*
 * A comment of rng_range(min, max) bytes, max > min. Half the time it starts
 * a few bytes into the generated text, mid-word, the way dbgen cuts its
 * comments from a text pool. It never starts or ends with a space: words are
 * separated by single spaces, so stepping over one space at the start, and
 * taking one more or one fewer byte at the end, keeps the length in range.
 */
static unsigned text_gen(struct rng *r, char *dst, unsigned min, unsigned max)
{
	char tmp[TEXT_MAX + 64];
	unsigned target = (unsigned)rng_range(r, min, max);
	uint64_t bits = rng_next(r);
	unsigned skip = (bits & 1) ? 0 : (unsigned)((bits >> 1) % 6);
	bool quote = (bits >> 8) % 1000 == 0;
	unsigned need = target + skip + 2;
	unsigned n = 0;

	while (n < need) {
		const char *t = templates[rng_range(r, 0, COUNT(templates) - 1)];
		for (; *t && n < need; t++) {
			const struct word *w = pick_word(r, *t);
			if (quote && n > 0) {
				tmp[n++] = '"';
				memcpy(tmp + n, w->s, w->n);
				n += w->n;
				tmp[n++] = '"';
				quote = false;
			} else {
				memcpy(tmp + n, w->s, w->n);
				n += w->n;
			}
			tmp[n++] = ' ';
		}
		if (*t == '\0') {
			tmp[n - 1] = punctuation[rng_range(r, 0, sizeof(punctuation) - 2)];
			tmp[n++] = ' ';
		}
	}
	const char *s = tmp + skip;
	if (*s == ' ')
		s++;
	unsigned len = target;
	if (s[len - 1] == ' ') {
		if (len < max)
			len++;
		else
			len--;
	}
	memcpy(dst, s, len);
	return len;
}

/* A TPC-H "v-string": random letters and digits, with ',' and '.' mixed in. */
static unsigned vstring_gen(struct rng *r, char *dst, unsigned min, unsigned max)
{
	static const char alphabet[64] =
		"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,.";
	unsigned len = (unsigned)rng_range(r, min, max);
	uint64_t bits = 0;
	for (unsigned i = 0; i < len; i++) {
		if (i % 10 == 0)
			bits = rng_next(r);
		dst[i] = alphabet[bits & 63];
		bits >>= 6;
	}
	/* Leading or trailing separators look odd to people; keep them inside. */
	if (dst[0] == ',' || dst[0] == '.')
		dst[0] = 'x';
	if (dst[len - 1] == ',' || dst[len - 1] == '.')
		dst[len - 1] = 'x';
	return len;
}

/* ------------------------------------------------------------------------ */
/* Formatting. All writers assume ROW_MAX free bytes (design note 3).         */

static const char digits2[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	unsigned i = sizeof(tmp);
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);
		v /= 100;
		i -= 2;
		memcpy(tmp + i, digits2 + 2 * d, 2);
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digits2 + 2 * v, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	memcpy(p, tmp + i, sizeof(tmp) - i);
	return p + (sizeof(tmp) - i);
}

static char *put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, -(uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* Fixed zero-padded width, e.g. 9 digits for "Supplier#000000042". */
static char *put_padded(char *p, uint64_t v, unsigned width)
{
	for (unsigned i = width; i-- > 0;) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* A DECIMAL(15,2) held as hundredths: always two fraction digits. */
static char *put_dec2(char *p, int64_t cents)
{
	uint64_t u = (uint64_t)cents;
	if (cents < 0) {
		*p++ = '-';
		u = -(uint64_t)cents;
	}
	p = put_u64(p, u / 100);
	*p++ = '.';
	memcpy(p, digits2 + 2 * (u % 100), 2);
	return p + 2;
}

/* ------------------------------------------------------------------------ */
/* Dates: day 0 is 1992-01-01 (TPC-H STARTDATE); strings are precomputed.     */

#define DATE_DAYS 2557 /* 1992-01-01 .. 1998-12-31 */

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[m - 1] + (m == 2 && leap);
}

/* Fills out[DATE_DAYS * 10] with YYYY-MM-DD strings, no terminators. */
static void date_table_build(char *out)
{
	int y = 1992, m = 1, d = 1;
	for (int i = 0; i < DATE_DAYS; i++) {
		char *p = out + 10 * i;
		put_padded(p, (uint64_t)y, 4);
		p[4] = '-';
		put_padded(p + 5, (uint64_t)m, 2);
		p[7] = '-';
		put_padded(p + 8, (uint64_t)d, 2);
		if (++d > days_in_month(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

static int day_index(int y, int m, int d)
{
	int n = d - 1;
	for (int yy = 1992; yy < y; yy++)
		for (int mm = 1; mm <= 12; mm++)
			n += days_in_month(yy, mm);
	for (int mm = 1; mm < m; mm++)
		n += days_in_month(y, mm);
	return n;
}

/* ------------------------------------------------------------------------ */
/* Tables.                                                                    */

enum col_kind { COL_INT, COL_DEC, COL_DATE, COL_STR };

struct column {
	const char *name;
	enum col_kind kind;
};

/* One value of a row: v for INT, DEC (hundredths) and DATE (day index). */
struct field {
	int64_t v;
	const char *s;
	unsigned n;
};

enum table_id {
	T_REGION,
	T_NATION,
	T_SUPPLIER,
	T_CUSTOMER,
	T_PART,
	T_PARTSUPP,
	T_ORDERS,
	T_LINEITEM,
	T_COUNT
};

static const struct column region_cols[] = {
	{"r_regionkey", COL_INT}, {"r_name", COL_STR}, {"r_comment", COL_STR},
};
static const struct column nation_cols[] = {
	{"n_nationkey", COL_INT}, {"n_name", COL_STR},
	{"n_regionkey", COL_INT}, {"n_comment", COL_STR},
};
static const struct column supplier_cols[] = {
	{"s_suppkey", COL_INT},	  {"s_name", COL_STR},	{"s_address", COL_STR},
	{"s_nationkey", COL_INT}, {"s_phone", COL_STR}, {"s_acctbal", COL_DEC},
	{"s_comment", COL_STR},
};
static const struct column customer_cols[] = {
	{"c_custkey", COL_INT},	   {"c_name", COL_STR},	    {"c_address", COL_STR},
	{"c_nationkey", COL_INT},  {"c_phone", COL_STR},    {"c_acctbal", COL_DEC},
	{"c_mktsegment", COL_STR}, {"c_comment", COL_STR},
};
static const struct column part_cols[] = {
	{"p_partkey", COL_INT},	  {"p_name", COL_STR},	    {"p_mfgr", COL_STR},
	{"p_brand", COL_STR},	  {"p_type", COL_STR},	    {"p_size", COL_INT},
	{"p_container", COL_STR}, {"p_retailprice", COL_DEC}, {"p_comment", COL_STR},
};
static const struct column partsupp_cols[] = {
	{"ps_partkey", COL_INT},    {"ps_suppkey", COL_INT}, {"ps_availqty", COL_INT},
	{"ps_supplycost", COL_DEC}, {"ps_comment", COL_STR},
};
static const struct column orders_cols[] = {
	{"o_orderkey", COL_INT},      {"o_custkey", COL_INT},	  {"o_orderstatus", COL_STR},
	{"o_totalprice", COL_DEC},    {"o_orderdate", COL_DATE},  {"o_orderpriority", COL_STR},
	{"o_clerk", COL_STR},	      {"o_shippriority", COL_INT}, {"o_comment", COL_STR},
};
static const struct column lineitem_cols[] = {
	{"l_orderkey", COL_INT},     {"l_partkey", COL_INT},	  {"l_suppkey", COL_INT},
	{"l_linenumber", COL_INT},   {"l_quantity", COL_INT},	  {"l_extendedprice", COL_DEC},
	{"l_discount", COL_DEC},     {"l_tax", COL_DEC},	  {"l_returnflag", COL_STR},
	{"l_linestatus", COL_STR},   {"l_shipdate", COL_DATE},	  {"l_commitdate", COL_DATE},
	{"l_receiptdate", COL_DATE}, {"l_shipinstruct", COL_STR}, {"l_shipmode", COL_STR},
	{"l_comment", COL_STR},
};

struct table {
	const char *name;
	const struct column *cols;
	unsigned n_cols;
};

#define TABLE(id, name, cols) [id] = {name, cols, COUNT(cols)}
static const struct table tables[T_COUNT] = {
	TABLE(T_REGION, "region", region_cols),
	TABLE(T_NATION, "nation", nation_cols),
	TABLE(T_SUPPLIER, "supplier", supplier_cols),
	TABLE(T_CUSTOMER, "customer", customer_cols),
	TABLE(T_PART, "part", part_cols),
	TABLE(T_PARTSUPP, "partsupp", partsupp_cols),
	TABLE(T_ORDERS, "orders", orders_cols),
	TABLE(T_LINEITEM, "lineitem", lineitem_cols),
};

/* ------------------------------------------------------------------------ */
/* Output files and formats.                                                  */

struct out;

struct format {
	const char *name; /* --format value and file extension */
	void (*header)(struct out *o);
	void (*row)(struct out *o, const struct field *f);
};

struct out {
	const struct table *table;
	const struct format *fmt;
	const char *dates;
	FILE *f;
	char *buf;
	size_t len;
	char **keys; /* JSONL: '{"name":' for the first column, ',"name":' after */
	unsigned *key_lens;
	char *path;
	char *tmp_path;
	uint64_t rows;
	uint64_t bytes;
	bool failed;
};

static void out_flush(struct out *o)
{
	if (o->len > 0 && !o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len) {
		fprintf(stderr, "tpchgen: write %s: %s\n", o->tmp_path, strerror(errno));
		o->failed = true;
	}
	o->bytes += o->len;
	o->len = 0;
}

static void out_row_done(struct out *o, char *p)
{
	o->len = (size_t)(p - o->buf);
	o->rows++;
	if (o->len > OUT_BUF_SIZE - ROW_MAX)
		out_flush(o);
}

/* RFC 4180: quote only when needed, double embedded quotes. */
static char *csv_put_str(char *p, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		char c = s[i];
		if (c == ',' || c == '"' || c == '\n' || c == '\r')
			goto quoted;
	}
	memcpy(p, s, n);
	return p + n;
quoted:
	*p++ = '"';
	for (unsigned i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	return p;
}

static void csv_header(struct out *o)
{
	char *p = o->buf + o->len;
	for (unsigned i = 0; i < o->table->n_cols; i++) {
		const char *name = o->table->cols[i].name;
		if (i > 0)
			*p++ = ',';
		p = csv_put_str(p, name, (unsigned)strlen(name));
	}
	*p++ = '\n';
	o->len = (size_t)(p - o->buf);
}

static void csv_row(struct out *o, const struct field *f)
{
	char *p = o->buf + o->len;
	const struct column *cols = o->table->cols;
	for (unsigned i = 0; i < o->table->n_cols; i++) {
		if (i > 0)
			*p++ = ',';
		switch (cols[i].kind) {
		case COL_INT: p = put_i64(p, f[i].v); break;
		case COL_DEC: p = put_dec2(p, f[i].v); break;
		case COL_DATE:
			memcpy(p, o->dates + 10 * f[i].v, 10);
			p += 10;
			break;
		case COL_STR: p = csv_put_str(p, f[i].s, f[i].n); break;
		}
	}
	*p++ = '\n';
	out_row_done(o, p);
}

/* RFC 8259 string: escape quote, backslash and control characters. */
static char *json_put_str(char *p, const char *s, unsigned n)
{
	*p++ = '"';
	for (unsigned i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		} else {
			*p++ = (char)c;
		}
	}
	*p++ = '"';
	return p;
}

static void jsonl_row(struct out *o, const struct field *f)
{
	char *p = o->buf + o->len;
	const struct column *cols = o->table->cols;
	for (unsigned i = 0; i < o->table->n_cols; i++) {
		memcpy(p, o->keys[i], o->key_lens[i]);
		p += o->key_lens[i];
		switch (cols[i].kind) {
		case COL_INT: p = put_i64(p, f[i].v); break;
		case COL_DEC: p = put_dec2(p, f[i].v); break;
		case COL_DATE:
			*p++ = '"';
			memcpy(p, o->dates + 10 * f[i].v, 10);
			p += 10;
			*p++ = '"';
			break;
		case COL_STR: p = json_put_str(p, f[i].s, f[i].n); break;
		}
	}
	*p++ = '}';
	*p++ = '\n';
	out_row_done(o, p);
}

static const struct format formats[] = {
	{.name = "csv", .header = csv_header, .row = csv_row},
	{.name = "jsonl", .header = NULL, .row = jsonl_row},
};

static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : malloc((size_t)n + 1);
	if (s) {
		va_start(ap, fmt);
		vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return s;
}

static void out_free(struct out *o)
{
	if (!o)
		return;
	if (o->keys)
		for (unsigned i = 0; i < o->table->n_cols; i++)
			free(o->keys[i]);
	free(o->keys);
	free(o->key_lens);
	free(o->buf);
	free(o->path);
	free(o->tmp_path);
	free(o);
}

static struct out *out_open(const char *dir, const struct table *t, const struct format *fmt,
			    const char *dates)
{
	struct out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->table = t;
	o->fmt = fmt;
	o->dates = dates;
	o->buf = malloc(OUT_BUF_SIZE);
	o->path = str_printf("%s/%s.%s", dir, t->name, fmt->name);
	o->tmp_path = str_printf("%s/%s.%s.tmp", dir, t->name, fmt->name);
	o->keys = calloc(t->n_cols, sizeof(*o->keys));
	o->key_lens = calloc(t->n_cols, sizeof(*o->key_lens));
	if (!o->buf || !o->path || !o->tmp_path || !o->keys || !o->key_lens)
		goto fail;
	for (unsigned i = 0; i < t->n_cols; i++) {
		o->keys[i] = str_printf("%s\"%s\":", i == 0 ? "{" : ",", t->cols[i].name);
		if (!o->keys[i])
			goto fail;
		o->key_lens[i] = (unsigned)strlen(o->keys[i]);
	}
	o->f = fopen(o->tmp_path, "wb");
	if (!o->f) {
		fprintf(stderr, "tpchgen: open %s: %s\n", o->tmp_path, strerror(errno));
		goto fail;
	}
	setvbuf(o->f, NULL, _IONBF, 0);
	if (fmt->header)
		fmt->header(o);
	return o;
fail:
	out_free(o);
	return NULL;
}

/* Flushes, closes and renames into place; on any failure removes the file. */
static bool out_close(struct out *o)
{
	out_flush(o);
	if (fclose(o->f) != 0 && !o->failed) {
		fprintf(stderr, "tpchgen: close %s: %s\n", o->tmp_path, strerror(errno));
		o->failed = true;
	}
	if (!o->failed && rename(o->tmp_path, o->path) != 0) {
		fprintf(stderr, "tpchgen: rename %s: %s\n", o->path, strerror(errno));
		o->failed = true;
	}
	if (o->failed)
		remove(o->tmp_path);
	return !o->failed;
}

/* ------------------------------------------------------------------------ */
/* Generators. Each fills a row's fields and hands them to the table's out.   */

struct gen {
	uint64_t seed;
	int64_t n_supplier, n_customer, n_part, n_orders, n_clerks;
	int current_date; /* TPC-H CURRENTDATE, 1995-06-17 */
	int last_order_date; /* ENDDATE - 151 days */
	struct out *out[T_COUNT];
	char dates[DATE_DAYS * 10];
};

static void emit(struct out *o, const struct field *f)
{
	o->fmt->row(o, f);
}

static struct field str_field(const char *s, unsigned n)
{
	struct field f = {.s = s, .n = n};
	return f;
}

static struct field int_field(int64_t v)
{
	struct field f = {.v = v};
	return f;
}

static struct field word_field(const struct word *w)
{
	return str_field(w->s, w->n);
}

static void gen_region(struct gen *g)
{
	char comment[TEXT_MAX];
	for (int k = 0; k < (int)COUNT(regions); k++) {
		struct rng r = rng_for(g->seed, T_REGION, (uint64_t)k);
		struct field f[] = {
			int_field(k),
			word_field(&regions[k]),
			str_field(comment, text_gen(&r, comment, 31, 115)),
		};
		emit(g->out[T_REGION], f);
	}
}

static void gen_nation(struct gen *g)
{
	char comment[TEXT_MAX];
	for (int k = 0; k < (int)COUNT(nations); k++) {
		struct rng r = rng_for(g->seed, T_NATION, (uint64_t)k);
		struct field f[] = {
			int_field(k),
			word_field(&nations[k].name),
			int_field(nations[k].region),
			str_field(comment, text_gen(&r, comment, 31, 114)),
		};
		emit(g->out[T_NATION], f);
	}
}

/* "Supplier#000000042": the prefix and a zero-padded 9-digit number. */
static unsigned name_gen(char *dst, const char *prefix, int64_t v)
{
	size_t n = strlen(prefix);
	memcpy(dst, prefix, n);
	return (unsigned)(put_padded(dst + n, (uint64_t)v, 9) - dst);
}

/* Clause 4.2.2.9: country code (nation + 10), then three random groups. */
static unsigned phone_gen(struct rng *r, char *dst, int nation)
{
	char *p = put_padded(dst, (uint64_t)nation + 10, 2);
	*p++ = '-';
	p = put_padded(p, (uint64_t)rng_range(r, 100, 999), 3);
	*p++ = '-';
	p = put_padded(p, (uint64_t)rng_range(r, 100, 999), 3);
	*p++ = '-';
	p = put_padded(p, (uint64_t)rng_range(r, 1000, 9999), 4);
	return (unsigned)(p - dst);
}

/* Clause 4.2.3: a few supplier comments carry "Customer ...Complaints" or
 * "Customer ...Recommends" (TPC-H Q16 looks for them). */
static void supplier_remark(struct rng *r, char *comment, unsigned len)
{
	uint64_t roll = rng_next(r) % 10000;
	if (roll >= 10 || len < 19)
		return;
	const char *what = roll < 5 ? "Complaints" : "Recommends";
	unsigned at = (unsigned)rng_range(r, 0, len - 19);
	unsigned at2 = (unsigned)rng_range(r, at + 9, len - 10);
	memcpy(comment + at, "Customer ", 9);
	memcpy(comment + at2, what, 10);
}

static void gen_supplier(struct gen *g)
{
	char name[32], address[64], phone[32], comment[TEXT_MAX];
	for (int64_t k = 1; k <= g->n_supplier; k++) {
		struct rng r = rng_for(g->seed, T_SUPPLIER, (uint64_t)k);
		int nation = (int)rng_range(&r, 0, COUNT(nations) - 1);
		unsigned address_len = vstring_gen(&r, address, 10, 40);
		unsigned phone_len = phone_gen(&r, phone, nation);
		int64_t acctbal = rng_range(&r, -99999, 999999);
		unsigned comment_len = text_gen(&r, comment, 25, 100);
		supplier_remark(&r, comment, comment_len);
		struct field f[] = {
			int_field(k),
			str_field(name, name_gen(name, "Supplier#", k)),
			str_field(address, address_len),
			int_field(nation),
			str_field(phone, phone_len),
			int_field(acctbal),
			str_field(comment, comment_len),
		};
		emit(g->out[T_SUPPLIER], f);
	}
}

static void gen_customer(struct gen *g)
{
	char name[32], address[64], phone[32], comment[TEXT_MAX];
	for (int64_t k = 1; k <= g->n_customer; k++) {
		struct rng r = rng_for(g->seed, T_CUSTOMER, (uint64_t)k);
		int nation = (int)rng_range(&r, 0, COUNT(nations) - 1);
		unsigned address_len = vstring_gen(&r, address, 10, 40);
		unsigned phone_len = phone_gen(&r, phone, nation);
		int64_t acctbal = rng_range(&r, -99999, 999999);
		const struct word *segment = &segments[rng_range(&r, 0, COUNT(segments) - 1)];
		struct field f[] = {
			int_field(k),
			str_field(name, name_gen(name, "Customer#", k)),
			str_field(address, address_len),
			int_field(nation),
			str_field(phone, phone_len),
			int_field(acctbal),
			word_field(segment),
			str_field(comment, text_gen(&r, comment, 29, 116)),
		};
		emit(g->out[T_CUSTOMER], f);
	}
}

/* Clause 4.2.3: P_RETAILPRICE, in hundredths. */
static int64_t retail_price(int64_t partkey)
{
	return 90000 + (partkey / 10) % 20001 + 100 * (partkey % 1000);
}

/* Clause 4.2.3: the i-th (0..3) supplier of a part. */
static int64_t part_supplier(const struct gen *g, int64_t partkey, int i)
{
	int64_t s = g->n_supplier;
	return (partkey - 1 + i * (s / 4 + (partkey - 1) / s)) % s + 1;
}

static unsigned join_words(char *dst, const struct word *const *w, unsigned n)
{
	char *p = dst;
	for (unsigned i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ' ';
		memcpy(p, w[i]->s, w[i]->n);
		p += w[i]->n;
	}
	return (unsigned)(p - dst);
}

static void gen_part(struct gen *g)
{
	char name[128], mfgr[32], brand[16], type[64], container[16], comment[TEXT_MAX];
	for (int64_t k = 1; k <= g->n_part; k++) {
		struct rng r = rng_for(g->seed, T_PART, (uint64_t)k);
		/* p_name: five distinct colours. */
		const struct word *pick[5];
		int idx[5];
		for (int i = 0; i < 5; i++) {
			bool again;
			do {
				idx[i] = (int)rng_range(&r, 0, COUNT(colors) - 1);
				again = false;
				for (int j = 0; j < i; j++)
					again |= idx[j] == idx[i];
			} while (again);
			pick[i] = &colors[idx[i]];
		}
		unsigned name_len = join_words(name, pick, 5);

		int m = (int)rng_range(&r, 1, 5);
		int b = (int)rng_range(&r, 1, 5);
		memcpy(mfgr, "Manufacturer#", 13);
		unsigned mfgr_len = (unsigned)(put_u64(mfgr + 13, (uint64_t)m) - mfgr);
		memcpy(brand, "Brand#", 6);
		char *bp = brand + 6;
		*bp++ = (char)('0' + m);
		*bp++ = (char)('0' + b);
		unsigned brand_len = (unsigned)(bp - brand);

		const struct word *tw[3] = {
			&type_size[rng_range(&r, 0, COUNT(type_size) - 1)],
			&type_finish[rng_range(&r, 0, COUNT(type_finish) - 1)],
			&type_metal[rng_range(&r, 0, COUNT(type_metal) - 1)],
		};
		unsigned type_len = join_words(type, tw, 3);
		int64_t size = rng_range(&r, 1, 50);
		const struct word *cw[2] = {
			&container_size[rng_range(&r, 0, COUNT(container_size) - 1)],
			&container_kind[rng_range(&r, 0, COUNT(container_kind) - 1)],
		};
		unsigned container_len = join_words(container, cw, 2);

		struct field f[] = {
			int_field(k),
			str_field(name, name_len),
			str_field(mfgr, mfgr_len),
			str_field(brand, brand_len),
			str_field(type, type_len),
			int_field(size),
			str_field(container, container_len),
			int_field(retail_price(k)),
			str_field(comment, text_gen(&r, comment, 5, 22)),
		};
		emit(g->out[T_PART], f);
	}
}

static void gen_partsupp(struct gen *g)
{
	char comment[TEXT_MAX];
	for (int64_t k = 1; k <= g->n_part; k++) {
		for (int i = 0; i < 4; i++) {
			struct rng r = rng_for(g->seed, T_PARTSUPP, (uint64_t)k * 4 + (uint64_t)i);
			int64_t availqty = rng_range(&r, 1, 9999);
			int64_t supplycost = rng_range(&r, 100, 100000);
			struct field f[] = {
				int_field(k),
				int_field(part_supplier(g, k, i)),
				int_field(availqty),
				int_field(supplycost),
				str_field(comment, text_gen(&r, comment, 49, 198)),
			};
			emit(g->out[T_PARTSUPP], f);
		}
	}
}

/*
 * Clause 4.2.3 for ORDERS and LINEITEM. Order keys are sparse, 8 used in
 * every 32: 1..7, 32..39, 64..71, ..., SF * 6,000,000 last. Customers whose key is a multiple of 3 place
 * no orders. Dates: order in [STARTDATE, ENDDATE - 151], ship 1..121 days
 * later, commit 30..90 days after the order, receipt 1..30 days after ship.
 */
static void gen_orders(struct gen *g)
{
	struct out *oo = g->out[T_ORDERS];
	struct out *lo = g->out[T_LINEITEM];
	char clerk[32], o_comment[TEXT_MAX], l_comment[TEXT_MAX];
	int64_t valid_customers = g->n_customer - g->n_customer / 3;

	for (int64_t i = 1; i <= g->n_orders; i++) {
		int64_t orderkey = (i / 8) * 32 + i % 8;
		struct rng r = rng_for(g->seed, T_ORDERS, (uint64_t)orderkey);
		int64_t c = rng_range(&r, 0, valid_customers - 1);
		int64_t custkey = c + c / 2 + 1; /* skips multiples of 3 */
		int orderdate = (int)rng_range(&r, 0, g->last_order_date);
		const struct word *priority = &priorities[rng_range(&r, 0, COUNT(priorities) - 1)];
		int64_t clerk_no = rng_range(&r, 1, g->n_clerks);
		int n_lines = (int)rng_range(&r, 1, 7);

		int64_t total = 0;
		int n_shipped = 0;
		for (int ln = 1; ln <= n_lines; ln++) {
			struct rng lr = rng_for(g->seed, T_LINEITEM, (uint64_t)orderkey * 8 + (uint64_t)ln);
			int64_t partkey = rng_range(&lr, 1, g->n_part);
			int64_t suppkey = part_supplier(g, partkey, (int)rng_range(&lr, 0, 3));
			int64_t quantity = rng_range(&lr, 1, 50);
			int64_t discount = rng_range(&lr, 0, 10);
			int64_t tax = rng_range(&lr, 0, 8);
			int shipdate = orderdate + (int)rng_range(&lr, 1, 121);
			int commitdate = orderdate + (int)rng_range(&lr, 30, 90);
			int receiptdate = shipdate + (int)rng_range(&lr, 1, 30);
			const char *returnflag = "N";
			if (receiptdate <= g->current_date)
				returnflag = (rng_next(&lr) & 1) ? "R" : "A";
			bool shipped = shipdate <= g->current_date;
			const struct word *instruct =
				&instructions[rng_range(&lr, 0, COUNT(instructions) - 1)];
			const struct word *mode = &modes[rng_range(&lr, 0, COUNT(modes) - 1)];
			int64_t extended = quantity * retail_price(partkey);

			/* extendedprice * (1 + tax) * (1 - discount), rounded to cents */
			total += (extended * (100 + tax) * (100 - discount) + 5000) / 10000;
			n_shipped += shipped;
			if (!lo)
				continue;
			struct field f[] = {
				int_field(orderkey),
				int_field(partkey),
				int_field(suppkey),
				int_field(ln),
				int_field(quantity),
				int_field(extended),
				int_field(discount),
				int_field(tax),
				str_field(returnflag, 1),
				str_field(shipped ? "F" : "O", 1),
				int_field(shipdate),
				int_field(commitdate),
				int_field(receiptdate),
				word_field(instruct),
				word_field(mode),
				str_field(l_comment, text_gen(&lr, l_comment, 10, 43)),
			};
			emit(lo, f);
		}
		if (!oo)
			continue;
		const char *status = n_shipped == n_lines ? "F" : n_shipped == 0 ? "O" : "P";
		struct field f[] = {
			int_field(orderkey),
			int_field(custkey),
			str_field(status, 1),
			int_field(total),
			int_field(orderdate),
			word_field(priority),
			str_field(clerk, name_gen(clerk, "Clerk#", clerk_no)),
			int_field(0),
			str_field(o_comment, text_gen(&r, o_comment, 19, 78)),
		};
		emit(oo, f);
	}
}

/* ------------------------------------------------------------------------ */
/* Command line.                                                              */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tpchgen --sf SF --out DIR [--tables T1,T2,...] [--format csv|jsonl]\n"
		"               [--seed N]\n"
		"Writes TPC-H-shaped tables as DIR/<table>.<format>.\n"
		"  --sf SF       scale factor (> 0; 1 gives 6M lineitem rows)\n"
		"  --out DIR     output directory, created if missing\n"
		"  --tables ...  any of region,nation,supplier,customer,part,partsupp,\n"
		"                orders,lineitem (default: all)\n"
		"  --format F    csv (header row, RFC 4180 quoting) or jsonl (default csv)\n"
		"  --seed N      PRNG seed (default 1); same seed, same bytes\n");
}

static bool mkdir_p(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(path))
		return false;
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "tpchgen: mkdir %s: %s\n", path, strerror(errno));
			return false;
		}
		path[i] = saved;
	}
	return true;
}

static bool parse_tables(const char *list, bool *want)
{
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;
		for (int t = 0; t < T_COUNT; t++) {
			if (strlen(tables[t].name) == n && strncmp(tables[t].name, p, n) == 0) {
				want[t] = true;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "tpchgen: unknown table '%.*s'\n", (int)n, p);
			return false;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return true;
}

static int64_t scaled(double base, double sf)
{
	int64_t n = llround(base * sf);
	return n < 1 ? 1 : n;
}

static double now_s(void)
{
	struct timespec ts;
	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double sf = 0;
	const char *dir = NULL;
	const char *table_list = NULL;
	const struct format *fmt = &formats[0];
	uint64_t seed = 1;
	bool want[T_COUNT] = {false};
	int rc = 1;
	struct gen *g = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "--sf") == 0) {
			char *end;
			sf = strtod(v, &end);
			if (*end != '\0' || !(sf > 0) || sf > 1e5) {
				fprintf(stderr, "tpchgen: bad --sf '%s'\n", v);
				return 2;
			}
		} else if (strcmp(a, "--out") == 0) {
			dir = v;
		} else if (strcmp(a, "--tables") == 0) {
			table_list = v;
		} else if (strcmp(a, "--format") == 0) {
			fmt = NULL;
			for (size_t k = 0; k < COUNT(formats); k++)
				if (strcmp(formats[k].name, v) == 0)
					fmt = &formats[k];
			if (!fmt) {
				fprintf(stderr, "tpchgen: unknown format '%s'\n", v);
				return 2;
			}
		} else if (strcmp(a, "--seed") == 0) {
			char *end;
			seed = strtoull(v, &end, 10);
			if (*end != '\0') {
				fprintf(stderr, "tpchgen: bad --seed '%s'\n", v);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (sf <= 0 || !dir) {
		usage(stderr);
		return 2;
	}
	if (table_list) {
		if (!parse_tables(table_list, want))
			return 2;
	} else {
		for (int t = 0; t < T_COUNT; t++)
			want[t] = true;
	}
	if (!mkdir_p(dir))
		return 1;

	g = calloc(1, sizeof(*g));
	if (!g)
		goto out;
	g->seed = seed;
	g->n_supplier = scaled(10000, sf);
	g->n_customer = scaled(150000, sf);
	g->n_part = scaled(200000, sf);
	g->n_orders = scaled(1500000, sf);
	g->n_clerks = scaled(1000, sf);
	g->current_date = day_index(1995, 6, 17);
	g->last_order_date = day_index(1998, 12, 31) - 151;
	date_table_build(g->dates);
	if (g->n_customer < 2)
		g->n_customer = 2; /* custkey needs a key that is not a multiple of 3 */

	for (int t = 0; t < T_COUNT; t++) {
		if (want[t] && !(g->out[t] = out_open(dir, &tables[t], fmt, g->dates)))
			goto out;
	}

	double t0 = now_s();
	if (g->out[T_REGION])
		gen_region(g);
	if (g->out[T_NATION])
		gen_nation(g);
	if (g->out[T_SUPPLIER])
		gen_supplier(g);
	if (g->out[T_CUSTOMER])
		gen_customer(g);
	if (g->out[T_PART])
		gen_part(g);
	if (g->out[T_PARTSUPP])
		gen_partsupp(g);
	if (g->out[T_ORDERS] || g->out[T_LINEITEM])
		gen_orders(g);

	rc = 0;
	for (int t = 0; t < T_COUNT; t++) {
		struct out *o = g->out[t];
		if (!o)
			continue;
		if (!out_close(o))
			rc = 1;
		else
			fprintf(stderr, "tpchgen: %-8s %10llu rows %9.1f MB  %s\n", tables[t].name,
				(unsigned long long)o->rows, (double)o->bytes / 1e6, o->path);
		out_free(o);
		g->out[t] = NULL;
	}
	fprintf(stderr, "tpchgen: sf %g %s in %.2f s\n", sf, fmt->name, now_s() - t0);

out:
	if (g) {
		for (int t = 0; t < T_COUNT; t++) {
			if (g->out[t]) {
				fclose(g->out[t]->f);
				remove(g->out[t]->tmp_path);
				out_free(g->out[t]);
			}
		}
		free(g);
	}
	return rc;
}
