/* Unit tests (cmocka) for the .env parser of infx-import. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dotenv.h"
#include "kvset.h"

static const char *get(const struct kvset *s, const char *name)
{
	const struct kv *e = kvset_get(s, name, strlen(name));

	return e ? e->value : NULL;
}

static void real_dotenv_syntax(void **state)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"PLAIN=value\n"
		"export EXPORTED=yes\n"
		"  SPACED = around  \n"
		"INLINE=kept # a comment\n"
		"HASH=a#b\n"
		"EMPTY=\n";
	struct kvset s;
	char err[128];

	(void)state;
	kvset_init(&s);
	assert_int_equal(dotenv_parse(text, sizeof text - 1, &s, err,
				      sizeof err), 0);
	assert_string_equal(get(&s, "PLAIN"), "value");
	assert_string_equal(get(&s, "EXPORTED"), "yes");
	assert_string_equal(get(&s, "SPACED"), "around");
	assert_string_equal(get(&s, "INLINE"), "kept");
	assert_string_equal(get(&s, "HASH"), "a#b");
	assert_string_equal(get(&s, "EMPTY"), "");
	assert_int_equal(s.count, 6);
	kvset_free(&s);
}

static void the_rest_of_the_syntax(void **state)
{
	static const char text[] =
		"SINGLE='$HOME \\n raw'\n"
		"DOUBLE=\"line1\\nline2 \\\"q\\\" \\$HOME \\\\\"\n"
		"MULTI=\"first\n"
		"second\"\n"
		"QUOTED_COMMENT='v' # fine\n"
		"CRLF=windows\r\n"
		"DUP=first\n"
		"DUP=second\n"
		"dotted.name-x=1\n"
		"LAST=no newline";
	struct kvset s;
	char err[128];

	(void)state;
	kvset_init(&s);
	assert_int_equal(dotenv_parse(text, sizeof text - 1, &s, err,
				      sizeof err), 0);
	assert_string_equal(get(&s, "SINGLE"), "$HOME \\n raw");
	assert_string_equal(get(&s, "DOUBLE"),
			    "line1\nline2 \"q\" $HOME \\");
	assert_string_equal(get(&s, "MULTI"), "first\nsecond");
	assert_string_equal(get(&s, "QUOTED_COMMENT"), "v");
	assert_string_equal(get(&s, "CRLF"), "windows");
	assert_string_equal(get(&s, "DUP"), "second");
	assert_string_equal(get(&s, "dotted.name-x"), "1");
	assert_string_equal(get(&s, "LAST"), "no newline");
	assert_int_equal(s.count, 8);
	kvset_free(&s);
}

/* Two-, three- and four-byte UTF-8 are text; a byte-order mark first is
 * skipped. */
static void utf8_values_are_text(void **state)
{
	static const char text[] = "\xef\xbb\xbf"	/* a byte-order mark */
		"A=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\n";
	struct kvset s;
	char err[160] = "";

	(void)state;
	kvset_init(&s);
	assert_int_equal(dotenv_parse(text, strlen(text), &s, err,
				      sizeof err), 0);
	assert_string_equal(get(&s, "A"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
	kvset_free(&s);
}

#define NOT_UTF8 "a value that is not UTF-8 text, which Infisical cannot " \
		 "store (convert the file, e.g. with iconv)"

static void errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "A=1\nNOEQUALS\n", "line 2: a line that is not NAME=value "
				     "(no '=')" },
		{ "A=1\n\n=x\n", "line 3: a line that is not NAME=value "
				 "(bad name)" },
		{ "A=\"open\n\nB=2\n", "line 1: unterminated quote" },
		{ "A='x' y\n", "line 1: text after the closing quote" },
		{ "1A=x\n", "line 1: a line that is not NAME=value "
			    "(bad name)" },
		{ "A=ok\nB=caf\xe9\n", "line 2: " NOT_UTF8 },
		{ "A=\"\xc0\xaf\"\n", "line 1: " NOT_UTF8 },	/* overlong */
		{ "A='\xed\xa0\x80'\n", "line 1: " NOT_UTF8 },	/* surrogate */
		{ "A=\xf4\x90\x80\x80\n", "line 1: " NOT_UTF8 },	/* > U+10FFFF */
		{ "A=\xe2\x82\n", "line 1: " NOT_UTF8 },	/* cut short */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct kvset s;
		char err[160] = "";

		kvset_init(&s);
		assert_int_equal(dotenv_parse(bad[i].text, strlen(bad[i].text),
					      &s, err, sizeof err), -1);
		assert_string_equal(err, bad[i].why);
		kvset_free(&s);
	}
}

/* What dotenv_read handed over, one "line:section:name=value" per call
 * (name empty for a section line). */
struct seen {
	char text[512];
	const char *refuse;	/* a name the callback refuses */
};

static int record(void *ctx, const struct dotenv_entry *e, char *err,
		  size_t errlen)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	if (e->name && s->refuse && strlen(s->refuse) == e->name_len &&
	    memcmp(e->name, s->refuse, e->name_len) == 0) {
		snprintf(err, errlen, "refused %s", s->refuse);
		return -1;
	}
	snprintf(s->text + n, sizeof s->text - n, "%zu:%s:%.*s=%s;",
		 e->line, e->section ? e->section : "-",
		 e->name ? (int)e->name_len : 0, e->name ? e->name : "",
		 e->value ? e->value : "");
	return 0;
}

static void sections_and_entries_in_order(void **state)
{
	static const char text[] =
		"TOP=1\n"
		"# a comment\n"
		"[/n8n]\n"
		"A=${X}\n"
		"  [ /supabase/auth ]   # a comment\n"
		"\n"
		"[/empty]\n"
		"[/b]\n"
		"B=\"two\nlines\"\n"
		"A=again\n";
	struct seen s = { "", NULL };
	char err[128];

	(void)state;
	assert_int_equal(dotenv_read(text, sizeof text - 1, record, &s, err,
				     sizeof err), 0);
	assert_string_equal(s.text,
			    "1:-:TOP=1;3:/n8n:=;4:/n8n:A=${X};"
			    "5:/supabase/auth:=;7:/empty:=;8:/b:=;"
			    "9:/b:B=two\nlines;11:/b:A=again;");
}

static void section_errors_name_the_line(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "[/a]\n[/b\nX=1\n", "line 2: a section line without its ']'" },
		{ "[ ]\n", "line 1: an empty section name" },
		{ "[/a] x\n", "line 1: text after the section's ']'" },
		{ "[/a]\nA='x\ny'\nNO=1\n", "line 4: refused NO" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct seen s = { "", "NO" };
		char err[128] = "";

		assert_int_equal(dotenv_read(bad[i].text, strlen(bad[i].text),
					     record, &s, err, sizeof err), -1);
		assert_string_equal(err, bad[i].why);
	}
}

static void a_section_line_is_not_dotenv(void **state)
{
	struct kvset s;
	char err[128];

	(void)state;
	kvset_init(&s);
	assert_int_equal(dotenv_parse("[/a]\n", 5, &s, err, sizeof err), -1);
	assert_string_equal(err, "line 1: a line that is not NAME=value "
				 "(bad name)");
	kvset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_dotenv_syntax),
		cmocka_unit_test(the_rest_of_the_syntax),
		cmocka_unit_test(utf8_values_are_text),
		cmocka_unit_test(errors_name_the_line),
		cmocka_unit_test(sections_and_entries_in_order),
		cmocka_unit_test(section_errors_name_the_line),
		cmocka_unit_test(a_section_line_is_not_dotenv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
