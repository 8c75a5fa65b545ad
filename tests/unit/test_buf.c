/* test_buf.c — unit tests for src/base/buf.c: appending, the size cap and
 * its sticky error, and the ownership verbs take, reset and free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static void test_empty(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, BUF_DEFAULT_MAX);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_err(&b), 0);
	buf_free(&b);
	buf_free(&b);  /* freeing twice is harmless */
}

static void test_append_forms(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_puts(&b, "Hello");
	buf_putc(&b, ',');
	buf_append(&b, " world!!!", 6);
	buf_printf(&b, " %d-%s-%05.1f", 42, "x", 3.14159);
	assert_string_equal(buf_str(&b), "Hello, world 42-x-003.1");
	assert_int_equal(b.len, strlen("Hello, world 42-x-003.1"));
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(buf_err(&b), 0);
	buf_free(&b);
}

static void test_binary_and_empty_appends(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	buf_append(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);  /* and still terminated */
	buf_append(&b, NULL, 0);                 /* e.g. an empty SQL blob */
	buf_append(&b, "", 0);
	buf_puts(&b, "");
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 3);
	assert_int_equal(buf_err(&b), 0);
	buf_free(&b);
}

static void test_growth(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > b.len);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	char big[100000];
	memset(big, 'z', sizeof big);
	buf_append(&b, big, sizeof big);
	assert_int_equal(b.len, 110000);
	assert_int_equal(b.data[109999], 'z');
	assert_int_equal(b.data[110000], '\0');
	buf_printf(&b, "%0*d", 5000, 7);
	assert_int_equal(b.len, 115000);
	assert_int_equal(b.data[114999], '7');
	assert_int_equal(buf_err(&b), 0);
	buf_free(&b);
}

static void test_cap_exact(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 10);
	buf_puts(&b, "0123456789");  /* exactly the cap: allowed */
	assert_int_equal(buf_err(&b), 0);
	assert_string_equal(buf_str(&b), "0123456789");
	buf_append(&b, "", 0);       /* nothing more: still fine */
	assert_int_equal(buf_err(&b), 0);
	buf_putc(&b, 'x');           /* one past: refused */
	assert_int_not_equal(buf_err(&b), 0);
	assert_string_equal(buf_str(&b), "0123456789");
	buf_free(&b);
}

static void test_sticky_error(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 16);
	buf_puts(&b, "0123456789");
	buf_puts(&b, "this does not fit");
	assert_int_not_equal(buf_err(&b), 0);
	/* The refused append left the contents alone … */
	assert_string_equal(buf_str(&b), "0123456789");
	/* … and later appends are ignored even when they would fit. */
	buf_putc(&b, '!');
	buf_puts(&b, "ab");
	buf_printf(&b, "%d", 1);
	buf_append(&b, "c", 1);
	assert_string_equal(buf_str(&b), "0123456789");
	assert_int_not_equal(buf_err(&b), 0);
	buf_free(&b);
}

static void test_printf_over_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	buf_printf(&b, "%s", "12345");
	buf_printf(&b, "%d", 6789);  /* would make 9 */
	assert_int_not_equal(buf_err(&b), 0);
	assert_string_equal(buf_str(&b), "12345");
	buf_free(&b);
}

static void vpf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

static void test_vprintf(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 0);
	vpf(&b, "%s=%lld;", "n", -9000000000LL);
	vpf(&b, "%zu", (size_t)7);
	assert_string_equal(buf_str(&b), "n=-9000000000;7");
	buf_free(&b);
}

static void test_reset(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 12);
	buf_puts(&b, "abcdef");
	char *mem = b.data;
	size_t cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_ptr_equal(b.data, mem);  /* memory kept */
	assert_int_equal(b.cap, cap);
	/* Reset also clears the sticky error; the cap stays. */
	buf_puts(&b, "0123456789abcdef");
	assert_int_not_equal(buf_err(&b), 0);
	buf_reset(&b);
	assert_int_equal(buf_err(&b), 0);
	buf_puts(&b, "fits");
	assert_string_equal(buf_str(&b), "fits");
	assert_int_equal(b.max, 12);
	buf_free(&b);
}

static void test_take(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 100);
	buf_puts(&b, "owned by the caller");
	char *s = buf_take(&b);
	assert_string_equal(s, "owned by the caller");
	/* The buffer is empty, detached from s, and usable with its cap. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.max, 100);
	buf_puts(&b, "again");
	assert_string_equal(buf_str(&b), "again");
	assert_string_equal(s, "owned by the caller");
	free(s);
	buf_free(&b);

	/* Taking from an empty buffer still gives a heap string. */
	buf_init(&b, 0);
	s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

static void test_free_and_reuse(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 50);
	buf_puts(&b, "x");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 50);
	buf_puts(&b, "y");
	assert_string_equal(buf_str(&b), "y");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append_forms),
		cmocka_unit_test(test_binary_and_empty_appends),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_sticky_error),
		cmocka_unit_test(test_printf_over_cap),
		cmocka_unit_test(test_vprintf),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_free_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
