#!/usr/bin/env python3
"""gen_roundtrip.py — seeded test data for tests/integration/roundtrip.sh.

  gen_roundtrip.py csv SEED ROWS DELIM OUT   a CSV (DELIM ',' or 'tab') of every
                                             type CSV inference finds, in tarn's
                                             canonical spelling, so tarn writes
                                             it back byte for byte
  gen_roundtrip.py json SEED ROWS SHAPE OUT  records of every type JSON inference
                                             finds, plus two maps (declared with
                                             MAP_TYPES); SHAPE lines|array
  gen_roundtrip.py types SCHEMA.json         the --types text for a schema printed
                                             by `tarn schema --json`
  gen_roundtrip.py compare A B               JSON / JSON Lines files hold the same
                                             records, value by value (floats exactly,
                                             -0.0 included)

The canonical spellings are those of src/columnar/text.h (floats: shortest
round-trip digits, plain notation for decimal exponents -5..16, else
d.ddde+XX; decimals with exactly `scale` digits; dates YYYY-MM-DD; times and
timestamps with trailing fraction zeros trimmed; a "Z" on zoned timestamps)
and the CSV writer's quoting (docs/formats/csv.md, "The writer").

Values that cannot survive a round trip by design are left out, each with the
reason next to where it would be generated (docs/formats/json.md, "Round
trips").

Plain python3: json, math, random, struct, sys only.
"""
import json
import math
import random
import struct
import sys

MAP_TYPES = "m=map<string, int64>,mi=map<int64, list<string>>"

# ---- canonical spellings (src/columnar/text.h) --------------------------------


def fmt_double(x):
    """tarn_fmt_double: shortest digits that read back to x (python's repr
    gives the same digits), plain while the leading digit's decimal exponent
    is in -5..16, else d[.ddd]e+XX."""
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    # exponent of the leading significant digit
    if ip.strip("0"):
        lead = len(ip.lstrip("0")) - 1 + e
    else:
        lead = -(len(fp) - len(fp.lstrip("0")) + 1) + e
    digits = digits.rstrip("0") or "0"
    if -5 <= lead <= 16:
        if lead >= 0:
            whole = digits[: lead + 1].ljust(lead + 1, "0")
            frac = digits[lead + 1:] or "0"
            return "%s%s.%s" % (sign, whole, frac)
        return "%s0.%s%s" % (sign, "0" * (-lead - 1), digits)
    m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return "%s%se%s%02d" % (sign, m, "-" if lead < 0 else "+", abs(lead))


def fmt_decimal(units, scale):
    """tarn_fmt_decimal: an integer count of 10^-scale, exactly `scale`
    fraction digits."""
    sign = "-" if units < 0 else ""
    s = str(abs(units)).rjust(scale + 1, "0")
    if scale == 0:
        return sign + s
    return "%s%s.%s" % (sign, s[:-scale], s[-scale:])


def fmt_frac(ns_or_us, width):
    """'.fff' with trailing zeros trimmed, or '' for a whole second."""
    if ns_or_us == 0:
        return ""
    return "." + str(ns_or_us).rjust(width, "0").rstrip("0")


DIM = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def rand_date(rnd):
    """YYYY-MM-DD: leap days, years below 1000 (4 digits, zero padded),
    month ends."""
    k = rnd.random()
    if k < 0.15:
        y = rnd.choice([2024, 2000, 1600, 4, 400, 1996, 9996])
        return "%04d-02-29" % y
    if k < 0.3:
        y = rnd.randint(1, 999)
    elif k < 0.35:
        y = rnd.choice([1, 9999, 1970, 1969, 1900])
    else:
        y = rnd.randint(1000, 9999)
    m = rnd.randint(1, 12)
    d = rnd.randint(1, DIM[m - 1] + (1 if m == 2 and leap(y) else 0))
    return "%04d-%02d-%02d" % (y, m, d)


def rand_time(rnd, ns):
    h, mi, s = rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)
    k = rnd.random()
    if k < 0.1:
        h, mi, s = rnd.choice([(0, 0, 0), (23, 59, 59), (12, 0, 0)])
    if ns:
        frac = rnd.choice([0, 1, 999999999, 100000000, rnd.randint(0, 999999999)])
        return "%02d:%02d:%02d%s" % (h, mi, s, fmt_frac(frac, 9))
    frac = rnd.choice([0, 500000, 999999, 1, rnd.randint(0, 999999)])
    return "%02d:%02d:%02d%s" % (h, mi, s, fmt_frac(frac, 6))


def rand_timestamp(rnd, ns, zone):
    d = rand_date(rnd)
    if ns:
        # timestamp[ns] holds 1677-09-21 .. 2262-04-11 only
        y = rnd.randint(1678, 2261)
        d = "%04d%s" % (y, d[4:])
        if d[5:] == "02-29" and not leap(y):
            d = d[:5] + "02-28"
    return "%s %s%s" % (d, rand_time(rnd, ns), "Z" if zone else "")


def rand_float(rnd):
    """Doubles whose text is tricky: subnormals, the extremes, values that
    need all 17 digits, integral values (printed with '.0'), both notations
    at their boundaries, -0.0. NaN and infinities are left out: JSON has no
    spelling for them, so the JSON leg writes them as null (documented)."""
    k = rnd.randrange(12)
    if k == 0:
        return rnd.choice([1e-300, 0.1, -0.0, 0.0, 1e21, 5e-324, 2.2250738585072014e-308,
                           1.7976931348623157e308, 0.1 + 0.2, 1e16, 1e17, 1e-5, 1e-6,
                           123456789012345680.0, 9007199254740993.0, 1.5, -2.5e-7])
    if k < 4:
        return rnd.uniform(-1e6, 1e6)
    if k < 6:
        return float(rnd.randint(-10**15, 10**15))
    if k < 8:
        return math.ldexp(rnd.random(), rnd.randint(-1074, 1023)) * rnd.choice([1, -1])
    if k < 10:
        return rnd.randint(1, 10**6) / 10.0**rnd.randint(1, 20)
    # random bit patterns of finite doubles
    while True:
        b = rnd.getrandbits(64)
        x = struct.unpack("<d", b.to_bytes(8, "little"))[0]
        if math.isfinite(x):
            return x


PIECES = [
    "plain", "ünïcödé", "日本語テキスト", "中文", "한국어", "😀", "👩‍👩‍👧", "🇩🇪",
    "e\u0301", "a\u0308\u0323", "\u05e9\u05dc\u05d5\u05dd", "\u200b", "\u00a0",
    ",", ", ", "\"", "\"\"", "'", "a\"b", "\\", "\\\"", "\n", "\r", "\r\n", "\t",
    " ", "  lead", "trail  ", ";", "|", "x=1", "{", "[1]", "NA", "null", "#",
    "0", "007", "1e5", "-", "\u2028",
]
# Whole strings that must stay strings: null tokens (quoted by the writer),
# numbers with leading zeros, spellings of other types, only spaces.
WHOLE = ["NA", "N/A", "NULL", "null", "NaN", "00501", "0123", "007.5", "true", "FALSE",
         "2024-01-02", "12:30:00", "1e5", "-0", "inf", " ", "   ", " x ", "#hash",
         "\"quoted\"", "'single'", "a,b", "\\x0a"]


def rand_text(rnd, allow_empty=True):
    k = rnd.random()
    if k < 0.15:
        return rnd.choice(WHOLE)
    if k < 0.2 and allow_empty:
        return ""
    return "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 4)))


# ---- CSV -------------------------------------------------------------------------

NULL_TOKENS = {"NA", "N/A", "NULL", "null", "NaN"}


def csv_field(text, delim, first, is_string):
    """The CSV writer's quoting: the delimiter, a quote, CR or LF; an empty
    string; a string spelled like a null token; a first-column value that
    starts with '#'."""
    if text is None:
        return ""
    q = (delim in text or '"' in text or "\r" in text or "\n" in text
         or (first and text.startswith("#"))
         or (is_string and (text == "" or text in NULL_TOKENS)))
    return '"%s"' % text.replace('"', '""') if q else text


def csv_columns(rnd):
    """(name, is_string, generator) for every type CSV inference finds."""
    def dec(scale, maxint):
        return lambda: fmt_decimal(rnd.randint(-maxint * 10**scale, maxint * 10**scale), scale)

    def big():
        # integers beyond int64 (up to 38 digits) make decimal(38,0)
        k = rnd.random()
        if k < 0.4:
            return str(rnd.choice([1, -1]) * rnd.randint(2**63, 10**38 - 1))
        if k < 0.5:
            return rnd.choice(["99999999999999999999999999999999999999",
                               "-99999999999999999999999999999999999999",
                               "9223372036854775808", "-9223372036854775809"])
        return str(rnd.randint(-10**12, 10**12))

    def ints():
        k = rnd.random()
        if k < 0.1:
            return str(rnd.choice([0, -9223372036854775808, 9223372036854775807, -1, 1]))
        return str(rnd.randint(-2**63, 2**63 - 1) >> rnd.randint(0, 62))

    return [
        ("label", True, lambda: rand_text(rnd)),
        ("flag", False, lambda: rnd.choice(["true", "false"])),
        ("n", False, ints),
        ("big", False, big),
        ("price", False, dec(2, 10**9)),
        ("rate", False, dec(6, 10**6)),
        ("tiny", False, dec(9, 9)),
        ("f", False, lambda: fmt_double(rand_float(rnd))),
        ("day", False, lambda: rand_date(rnd)),
        ("t", False, lambda: rand_time(rnd, False)),
        ("tn", False, lambda: rand_time(rnd, True)),
        ("ts", False, lambda: rand_timestamp(rnd, False, False)),
        ("tsz", False, lambda: rand_timestamp(rnd, False, True)),
        ("tsn", False, lambda: rand_timestamp(rnd, True, False)),
        ("s", True, lambda: rand_text(rnd)),
        ("zip", True, lambda: "0" + str(rnd.randint(0, 99999)).rjust(4, "0")),
        ("e", True, lambda: rnd.choice(["", " "])),
    ]


# Values in row 1 that pin each column's inferred type (the sample must show
# an exponent for float64, 9 fraction digits for the ns units, a number
# beyond int64 for decimal(38,0)).
PIN = {"f": "1e+21", "tn": "00:00:00.000000001", "tsn": "2000-01-01 00:00:00.123456789",
       "big": "-12345678901234567890123456789012345678", "label": "first"}


def gen_csv(seed, rows, delim, out):
    rnd = random.Random(seed)
    cols = csv_columns(rnd)
    nl = "\n"
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(delim.join(c[0] for c in cols) + nl)
        for r in range(rows):
            cells = []
            for i, (name, is_string, gen) in enumerate(cols):
                if r == 0 and name in PIN:
                    v = PIN[name]
                elif r > 0 and rnd.random() < 0.12:
                    v = None  # nulls everywhere (row 1 keeps the pins)
                else:
                    v = gen()
                cells.append(csv_field(v, delim, i == 0, is_string))
            f.write(delim.join(cells) + nl)


# ---- JSON -------------------------------------------------------------------------

# JSON strings: escapes, controls (NUL included), unicode beyond the BMP,
# U+2028, and text that looks like other types.
JPIECES = PIECES + ["\u0000", "\u0001", "\u001f", "\u007f", "\b", "\f", "/", "\ud7ff",
                    "\ue000", "\U0010ffff"]


def jtext(rnd):
    if rnd.random() < 0.15:
        return rnd.choice(WHOLE + [""])
    return "".join(rnd.choice(JPIECES) for _ in range(rnd.randint(0, 4)))


def maybe(rnd, p, gen):
    return None if rnd.random() < p else gen()


def jfloat(rnd):
    # Integers in a float column are exact only below 2^53: larger ones are
    # rounded when read as float64 (documented), so none are generated.
    if rnd.random() < 0.1:
        return rnd.randint(-2**53, 2**53)
    return rand_float(rnd)


def jrecord(rnd, first):
    """One record; every key present in every object (a missing key and a
    null one are the same value in a columnar table: documented), and each
    key path holding one kind of value (a path mixing kinds is inferred as a
    string column of JSON text, which comes back as strings: documented)."""
    def deep():
        return maybe(rnd, 0.2, lambda: [maybe(rnd, 0.2, lambda: jfloat(rnd))
                                        for _ in range(rnd.randint(0, 3))])

    def obj():
        return {"x": maybe(rnd, 0.2, lambda: rnd.randint(-2**63, 2**63 - 1)),
                "y": maybe(rnd, 0.2, lambda: jtext(rnd)),
                "z": maybe(rnd, 0.2, lambda: {"deep": deep()})}

    def kv():
        return {"k": maybe(rnd, 0.2, lambda: jtext(rnd)),
                "v": maybe(rnd, 0.2, lambda: rnd.randint(-1000, 1000))}

    def big():
        if rnd.random() < 0.5:
            return rnd.choice([1, -1]) * rnd.randint(2**63, 10**38 - 1)
        return rnd.randint(-2**63, 2**63 - 1)

    r = {
        "id": rnd.choice([rnd.randint(-2**63, 2**63 - 1), 0, -1, 2**63 - 1, -2**63]),
        # ints beyond int64 with more than 38 digits become float64 (digits
        # past the 17th lost, documented): only up to 38 digits here
        "big": big(),
        "f": jfloat(rnd),
        "b": rnd.choice([True, False]),
        "s": jtext(rnd),
        "o": obj(),
        "ls": [maybe(rnd, 0.15, kv) for _ in range(rnd.randint(0, 3))],
        "ll": [maybe(rnd, 0.15, lambda: [maybe(rnd, 0.2, lambda: rnd.randint(-9, 9))
                                          for _ in range(rnd.randint(0, 3))])
               for _ in range(rnd.randint(0, 3))],
        "tags": [maybe(rnd, 0.1, lambda: jtext(rnd)) for _ in range(rnd.randint(0, 4))],
        # maps: read only with a declared type (MAP_TYPES); string keys are
        # an object, other keys a list of {"key":..,"value":..} objects
        "m": {jtext(rnd): maybe(rnd, 0.2, lambda: rnd.randint(-5, 5))
              for _ in range(rnd.randint(0, 3))},
        "mi": [{"key": k, "value": maybe(rnd, 0.2, lambda: [jtext(rnd)])}
               for k in rnd.sample(range(-50, 50), rnd.randint(0, 3))],
    }
    if first:
        # pin the inferred types: a float, a big integer, non-empty nested
        # values with every member typed
        r["f"] = 0.5
        r["big"] = 10**37
        r["o"] = {"x": 1, "y": "y", "z": {"deep": [1.5]}}
        r["ls"] = [{"k": "k", "v": 1}]
        r["ll"] = [[1]]
        r["tags"] = ["t"]
        r["mi"] = [{"key": 1, "value": ["v"]}]
        return r
    for k in list(r):
        if rnd.random() < 0.1:
            r[k] = None
    return r


def gen_json(seed, rows, shape, out):
    rnd = random.Random(seed)
    recs = [jrecord(rnd, i == 0) for i in range(rows)]
    with open(out, "w", encoding="utf-8") as f:
        if shape == "lines":
            for r in recs:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            json.dump(recs, f, ensure_ascii=False, indent=1)
            f.write("\n")


# ---- schema and comparison -----------------------------------------------------------


def types_text(path):
    fields = json.load(open(path, encoding="utf-8"))["fields"]
    return ",".join("%s=%s" % (f["name"], f["type"]) for f in fields)


def load_records(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    # split("\n"), not splitlines(): U+2028 and friends are not line ends
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def same(a, b, path):
    """Exact equality; an integer in a float column reads back as the same
    float (the column type is float64)."""
    if isinstance(a, bool) or isinstance(b, bool):
        ok = type(a) is type(b) and a == b
    elif isinstance(a, float) and isinstance(b, float):
        ok = (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)
    elif isinstance(a, int) and isinstance(b, float):
        ok = abs(a) <= 2**53 and float(a) == b and not (a == 0 and math.copysign(1, b) < 0)
    elif isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return "%s: keys %s != %s" % (path, sorted(a), sorted(b))
        for k in a:
            d = same(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "%s: %d items != %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        return None
    else:
        ok = type(a) is type(b) and a == b
    return None if ok else "%s: %r != %r" % (path, a, b)


def compare(pa, pb):
    ra, rb = load_records(pa), load_records(pb)
    if len(ra) != len(rb):
        print("%s has %d records, %s has %d" % (pa, len(ra), pb, len(rb)))
        return 1
    for i, (a, b) in enumerate(zip(ra, rb)):
        d = same(a, b, "record %d" % (i + 1))
        if d:
            print("%s vs %s: %s" % (pa, pb, d))
            return 1
    return 0


def main(argv):
    cmd = argv[1]
    if cmd == "csv":
        gen_csv(int(argv[2]), int(argv[3]), "\t" if argv[4] == "tab" else argv[4], argv[5])
    elif cmd == "json":
        gen_json(int(argv[2]), int(argv[3]), argv[4], argv[5])
    elif cmd == "types":
        print(types_text(argv[2]))
    elif cmd == "maptypes":
        print(MAP_TYPES)
    elif cmd == "compare":
        return compare(argv[2], argv[3])
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
