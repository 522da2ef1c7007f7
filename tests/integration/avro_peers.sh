#!/usr/bin/env bash
# avro_peers: Avro files tarn writes read identically in python3-avro, and
# files python3-avro writes read correctly in tarn (tests/peers/avro_peer.py,
# always run with /usr/bin/python3, where Debian's python3-avro lives).
#
# python3-avro reads and writes the null, deflate and bzip2 codecs itself;
# avro_peer.py plugs in xz (Python's lzma), zstandard (the zstd tool) and
# snappy (a decoder written there from the format description), so every
# codec is checked against an implementation that is not tarn's.
#
# 1. python3-avro writes every Avro type and logical type, with every codec;
#    tarn's rows (`tarn cat --to jsonl`) equal python3-avro's under the
#    documented mapping (avro_peer.py check).
# 2. tarn rewrites that file with every codec: with its own generated schema
#    (python3-avro reads the rows tarn printed), and with the original
#    schema (-w schema=types.avsc: python3-avro reads equal datums).
# 3. DuckDB writes a Parquet file of every tarn type (ints of all widths and
#    signs, decimals, strings, binary, UUIDs, dates, times, timestamps in
#    ms/us/ns and with a zone, lists, structs, maps, nulls); tarn converts it
#    to Avro with every codec; tarn reads back the same rows it read from
#    the Parquet file, and python3-avro reads those rows too.
# 4. Schema evolution, python3-avro's resolution as the reference: added
#    fields with defaults of every type, removed fields, promotions,
#    reordered enums, unions both ways, a recursive type read without its
#    recursive field; through `tarn cat -r schema=` and
#    `tarn convert in.avro out.avro -r schema=new.avsc`.
# 5. Top-level unions and arrays; errors for a corrupt file (exit 2, the
#    block and byte offset named) and for an incompatible reader schema.
PEERS=$(cd "$(dirname "$0")/../peers" && pwd)
source "$(dirname "$0")/lib/cli.bash"
PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import avro' 2>/dev/null ||
	fail "python3-avro missing: apt-get install python3-avro (scripts/install-deps)"
peer() { "$PY" "$PEERS/avro_peer.py" "$@"; }

codecs=$(peer codecs)
for c in null deflate bzip2 snappy xz zstandard; do
	case " $codecs " in *" $c "*) ;; *) fail "avro_peer.py cannot do codec $c (zstd tool missing?)" ;; esac
done

# 1. python3-avro → tarn, every type, every codec.
peer gen gen >/dev/null || fail "python3-avro could not write the test files"
for c in $codecs; do
	ok cat --to jsonl "gen/types_$c.avro"
	cp "$T/out" "types_$c.jsonl"
	peer check "gen/types_$c.avro" "types_$c.jsonl" >/dev/null ||
		{ peer check "gen/types_$c.avro" "types_$c.jsonl"; fail "tarn reads python's types_$c.avro differently"; }
done

# 2. tarn → python3-avro, every type, every codec.
for c in $codecs; do
	ok convert gen/types_null.avro "t_$c.avro" -w compression="$c" -w block-size=8K
	ok cat --to jsonl "t_$c.avro"
	cmp -s "$T/out" types_null.jsonl || fail "t_$c.avro does not read back as the rows it was written from"
	peer check "t_$c.avro" types_null.jsonl >/dev/null ||
		{ peer check "t_$c.avro" types_null.jsonl; fail "python3-avro reads tarn's t_$c.avro differently"; }
	ok convert gen/types_null.avro "s_$c.avro" -w compression="$c" -w schema=gen/types.avsc
	peer same gen/types_null.avro "s_$c.avro" >/dev/null ||
		{ peer same gen/types_null.avro "s_$c.avro"; fail "s_$c.avro (tarn, original schema) differs in python3-avro"; }
done

# 3. DuckDB's Parquet of every tarn type → tarn Avro → tarn and python3-avro.
if [ -d "$PEERS/node_modules/@duckdb/node-api" ]; then
	node "$PEERS/../../bench/duckdb_run.mjs" "COPY (
	  SELECT
	    i::BIGINT AS id,
	    CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS b,
	    CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 250 - 125)::TINYINT END AS i8,
	    (i * 7 % 60000 - 30000)::SMALLINT AS i16,
	    (i * 131071 % 2000000000 - 1000000000)::INTEGER AS i32,
	    CASE WHEN i % 13 = 0 THEN NULL ELSE i * 1000000007 - 9000000000000 END AS i64,
	    (i % 250)::UTINYINT AS u8,
	    (i % 60000)::USMALLINT AS u16,
	    (i::UBIGINT * 99991 % 4294967295)::UINTEGER AS u32,
	    (i::UBIGINT * 614891469123651 + 17)::UBIGINT AS u64,
	    CASE WHEN i % 17 = 0 THEN NULL ELSE (i / 7.0)::FLOAT END AS f32,
	    (i / 3.0 - 1000)::DOUBLE AS f64,
	    (i * 1.25 - 500)::DECIMAL(9,2) AS d9,
	    (i * 1234567.891 - 7)::DECIMAL(30,6) AS d30,
	    'str_' || (i % 100) AS s_dict,
	    CASE WHEN i % 5 = 0 THEN NULL ELSE 'héllo wörld ' || i END AS s_null,
	    ('bin' || i)::BLOB AS bin,
	    md5((i * 3)::VARCHAR)::UUID AS uu,
	    DATE '1970-01-01' + (i * 37 % 40000 - 20000)::INTEGER AS dt,
	    TIME '00:00:00' + INTERVAL (i * 997 % 86400) SECOND AS tm,
	    TIMESTAMP '2020-01-01 00:00:00.123456' + INTERVAL (i * 3601) SECOND AS ts,
	    (TIMESTAMP '1999-12-31 23:59:59' + INTERVAL (i) MINUTE)::TIMESTAMP_MS AS ts_ms,
	    (TIMESTAMP '2001-02-03 04:05:06' + INTERVAL (i) SECOND)::TIMESTAMP_NS AS ts_ns,
	    (TIMESTAMPTZ '2022-06-01 12:00:00+00' + INTERVAL (i) HOUR) AS ts_tz,
	    CASE WHEN i % 6 = 0 THEN NULL ELSE [i, i + 1, NULL] END AS l_int,
	    CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN [] ELSE ['a' || i, NULL, 'b'] END AS l_str,
	    [[i], [], NULL, [i, i]] AS ll,
	    CASE WHEN i % 9 = 0 THEN NULL ELSE {'x': i, 'y': 'v' || (i % 10), 'z': [i % 3]} END AS st,
	    MAP {'k' || (i % 3): i, 'z': NULL} AS m,
	    MAP {i % 5: 'v' || i} AS m_int,
	    [{'p': i % 2 = 0, 'q': i::DOUBLE}] AS l_st
	  FROM range(0, 1500) t(i)
	) TO 'p0.parquet' (FORMAT parquet)" || fail "DuckDB could not write p0.parquet"
	ok cat --to jsonl p0.parquet
	cp "$T/out" p0.jsonl
	for c in $codecs; do
		ok convert p0.parquet "p_$c.avro" -w compression="$c"
		ok cat --to jsonl "p_$c.avro"
		# Map keys that are not strings become lists of key/value records.
		"$PY" - p0.jsonl "$T/out" <<-'EOF' || fail "p_$c.avro does not read back as p0.parquet's rows"
			import json, sys
			a = [json.loads(l) for l in open(sys.argv[1])]
			b = [json.loads(l) for l in open(sys.argv[2])]
			for r in a:
			    r["m_int"] = [{"key": int(k), "value": v} for k, v in r["m_int"].items()] if isinstance(r["m_int"], dict) else r["m_int"]
			if a != b:
			    for i, (x, y) in enumerate(zip(a, b)):
			        if x != y:
			            print("row", i, "\n ", x, "\n ", y)
			            break
			    sys.exit(1)
		EOF
		cp "$T/out" "p_$c.jsonl"
		peer check "p_$c.avro" "p_$c.jsonl" >/dev/null ||
			{ peer check "p_$c.avro" "p_$c.jsonl"; fail "python3-avro reads tarn's p_$c.avro differently"; }
	done
else
	echo "avro_peers: DuckDB peer not installed; part 3 skipped" >&2
fi

# 4. Schema evolution against python3-avro's resolution.
for e in evo_added evo_removed_promoted evo_enum_union evo_recursive; do
	ok cat --to jsonl "gen/$e.avro" -r schema="gen/$e.reader.avsc"
	cp "$T/out" "$e.jsonl"
	peer check "gen/$e.avro" "$e.jsonl" "gen/$e.reader.avsc" >/dev/null ||
		{ peer check "gen/$e.avro" "$e.jsonl" "gen/$e.reader.avsc"; fail "tarn resolves $e differently from python3-avro"; }
	# convert in.avro out.avro -r schema=new.avsc: out.avro holds the
	# resolved rows (python3-avro reads them so).
	ok convert "gen/$e.avro" "conv_$e.avro" -r schema="gen/$e.reader.avsc"
	ok cat --to jsonl "conv_$e.avro"
	cmp -s "$T/out" "$e.jsonl" || fail "conv_$e.avro differs from the resolved rows"
	peer check "conv_$e.avro" "$e.jsonl" >/dev/null ||
		{ peer check "conv_$e.avro" "$e.jsonl"; fail "python3-avro reads conv_$e.avro differently"; }
done
# The recursive type itself cannot be a column: a clear refusal.
expect 5 cat gen/evo_recursive.avro
err_has "record 'Node' contains itself"
err_has "field 'node.children.item'"
# Enum written by the reader schema keeps its symbols when converted with
# that schema as the writer schema too.
ok convert gen/evo_enum_union.avro conv_enum2.avro -r schema=gen/evo_enum_union.reader.avsc \
	-w schema=gen/evo_enum_union.reader.avsc
peer check conv_enum2.avro evo_enum_union.jsonl gen/evo_enum_union.reader.avsc >/dev/null ||
	fail "conv_enum2.avro (written with the reader schema) reads differently"

# 5. Top-level non-records, errors.
for f in top_union top_array; do
	ok cat --to jsonl "gen/$f.avro"
	cp "$T/out" "$f.jsonl"
	peer check "gen/$f.avro" "$f.jsonl" >/dev/null || fail "tarn reads $f.avro differently"
	ok convert "gen/$f.avro" "re_$f.avro"
	ok cat --to jsonl "re_$f.avro"
	cmp -s "$T/out" "$f.jsonl" || fail "re_$f.avro does not read back the same"
done
head -c $(($(stat -c %s t_null.avro) - 10)) t_null.avro >cut.avro
expect 2 cat cut.avro
err_has "cut.avro: block "
err_has "(byte offset "
err_has "ends inside the block"
cat >bad.avsc <<'EOF'
{"type":"record","name":"AllTypes","namespace":"tarn.test","fields":[{"name":"rec","type":{"type":"record","name":"Inner","fields":[{"name":"a","type":"boolean"}]}}]}
EOF
expect 2 cat gen/types_null.avro -r schema=bad.avsc
err_has "field 'rec.a': the file's int cannot be read as boolean"
no_output never.avro
expect 2 convert gen/types_null.avro never.avro -r schema=bad.avsc
no_output never.avro
echo "avro_peers: ok"
