/* test_core.c - src/core: addresses, hex/base32, JSON, durations, buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/time.h"

static void expect_class(const char *ip, enum sw_addr_class c)
{
	struct sw_addr a;

	assert_int_equal(sw_addr_parse_ip(&a, ip, 1), SW_OK);
	if (sw_addr_classify(&a) != c)
		fail_msg("%s: got %s, want %s", ip, sw_addr_class_name(sw_addr_classify(&a)),
			 sw_addr_class_name(c));
}

static void test_addr_classes(void **state)
{
	(void)state;
	expect_class("8.8.8.8", SW_ADDR_PUBLIC);
	expect_class("1.1.1.1", SW_ADDR_PUBLIC);
	expect_class("10.1.2.3", SW_ADDR_PRIVATE);
	expect_class("172.16.0.1", SW_ADDR_PRIVATE);
	expect_class("172.32.0.1", SW_ADDR_PUBLIC);
	expect_class("192.168.1.1", SW_ADDR_PRIVATE);
	expect_class("100.64.0.1", SW_ADDR_PRIVATE);
	expect_class("127.1.2.3", SW_ADDR_LOOPBACK);
	expect_class("169.254.1.1", SW_ADDR_LINK_LOCAL);
	expect_class("224.0.0.1", SW_ADDR_MULTICAST);
	expect_class("255.255.255.255", SW_ADDR_RESERVED);
	expect_class("240.0.0.1", SW_ADDR_RESERVED);
	expect_class("0.0.0.0", SW_ADDR_UNSPECIFIED);
	expect_class("192.0.2.1", SW_ADDR_RESERVED);
	expect_class("198.18.0.1", SW_ADDR_RESERVED);
	expect_class("2a00:1450::1", SW_ADDR_PUBLIC);
	expect_class("::1", SW_ADDR_LOOPBACK);
	expect_class("::", SW_ADDR_UNSPECIFIED);
	expect_class("fe80::1", SW_ADDR_LINK_LOCAL);
	expect_class("fd00::1", SW_ADDR_PRIVATE);
	expect_class("ff02::1", SW_ADDR_MULTICAST);
	expect_class("2001:db8::1", SW_ADDR_RESERVED);
	expect_class("::ffff:10.0.0.1", SW_ADDR_PRIVATE); /* mapped: judged as IPv4 */
}

static void test_addr_text(void **state)
{
	struct sw_addr a;
	char s[SW_ADDR_STRLEN];
	static const uint8_t c4[6] = {1, 2, 3, 4, 0x1a, 0xe1};

	(void)state;
	assert_int_equal(sw_addr_parse(&a, "[2001:db8::1]:6881"), SW_OK);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::1]:6881");
	assert_int_equal(sw_addr_parse(&a, "2001:db8::1:6881"), SW_E_INVALID);
	assert_int_equal(sw_addr_parse(&a, "1.2.3.4:65536"), SW_E_INVALID);
	assert_int_equal(sw_addr_parse(&a, "1.2.3.4:"), SW_E_INVALID);
	assert_int_equal(sw_addr_parse(&a, "host:80"), SW_E_INVALID);
	sw_addr_from_compact4(&a, c4);
	sw_addr_str(&a, s, sizeof(s));
	assert_string_equal(s, "1.2.3.4:6881");
}

static void test_hex_base32(void **state)
{
	uint8_t out[20];
	char hex[41];

	(void)state;
	assert_int_equal(sw_hex_decode("00ff10AB", 8, out, 4), SW_OK);
	sw_hex_encode(out, 4, hex);
	assert_string_equal(hex, "00ff10ab");
	assert_int_equal(sw_hex_decode("0g", 2, out, 1), SW_E_INVALID);
	assert_int_equal(sw_hex_decode("000", 3, out, 1), SW_E_INVALID);
	/* RFC 4648 test vector: "foobar" = MZXW6YTBOI (unpadded) */
	assert_int_equal(sw_base32_decode("MZXW6YTBOI", 10, out, 6), SW_OK);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(sw_base32_decode("mzxw6ytboi", 10, out, 6), SW_OK);
	assert_int_equal(sw_base32_decode("MZXW6YTBO1", 10, out, 6), SW_E_INVALID);
	assert_int_equal(sw_base32_decode("MZXW6YTBOJ", 10, out, 6), SW_E_INVALID); /* low bits */
}

static void test_json(void **state)
{
	struct sw_buf b;
	struct sw_json j;

	(void)state;
	sw_buf_init(&b, 4096);
	sw_json_init(&j, &b);
	sw_json_obj_begin(&j);
	sw_json_key(&j, "s");
	sw_json_strn(&j, "a\"\\\n\x01\xc3\x9c\xff", 8);
	sw_json_key(&j, "n");
	sw_json_null(&j);
	sw_json_key(&j, "a");
	sw_json_arr_begin(&j);
	sw_json_int(&j, -5);
	sw_json_uint(&j, 18446744073709551615ull);
	sw_json_double(&j, 0.5);
	sw_json_bool(&j, true);
	sw_json_arr_end(&j);
	sw_json_obj_end(&j);
	assert_int_equal(sw_json_error(&j), 0);
	assert_string_equal((char *)b.data, "{\"s\":\"a\\\"\\\\\\n\\u0001\xc3\x9c\\ufffd\",\"n\":null,"
					     "\"a\":[-5,18446744073709551615,0.5,true]}");
	sw_buf_deinit(&b);
}

static void test_duration(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(sw_duration_parse("60s", &ms), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(sw_duration_parse("60", &ms), 0);
	assert_int_equal(ms, 60000);
	assert_int_equal(sw_duration_parse("1m30s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(sw_duration_parse("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(sw_duration_parse("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(sw_duration_parse("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(sw_duration_parse("", &ms), SW_E_INVALID);
	assert_int_equal(sw_duration_parse("s", &ms), SW_E_INVALID);
	assert_int_equal(sw_duration_parse("5x", &ms), SW_E_INVALID);
	assert_int_equal(sw_duration_parse("-5s", &ms), SW_E_INVALID);
	assert_int_equal(sw_duration_parse("99999999999d", &ms), SW_E_RANGE);
}

static void test_buf_cap(void **state)
{
	struct sw_buf b;

	(void)state;
	sw_buf_init(&b, 5);
	assert_int_equal(sw_buf_puts(&b, "abc"), 0);
	assert_int_equal(sw_buf_puts(&b, "def"), SW_E_TOO_BIG);
	assert_int_equal(b.len, 3);
	assert_int_equal(sw_buf_printf(&b, "%d", 12), 0);
	assert_string_equal((char *)b.data, "abc12");
	assert_int_equal(sw_buf_putc(&b, 'x'), SW_E_TOO_BIG);
	assert_int_equal(sw_buf_read_file(&b, "/nonexistent/file"), SW_E_NOT_FOUND);
	sw_buf_deinit(&b);
	sw_buf_deinit(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_classes), cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_hex_base32),   cmocka_unit_test(test_json),
		cmocka_unit_test(test_duration),     cmocka_unit_test(test_buf_cap),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
