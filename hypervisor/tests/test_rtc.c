/* Host unit tests for the MC146818 clock and CMOS (devices/rtc.c). */
#include "types.h"
#include "rtc.h"
#include "check.h"

static struct rtc rtc;
static u64 wall;  /* the core's clock: seconds since 1970 */

static u64 wall_now(void *ctx)
{
	(void)ctx;
	return wall;
}

static u8 reg(u8 index)
{
	rtc_write(&rtc, 0x70, 1, index);
	return rtc_read(&rtc, 0x71, 1);
}

static void set(u8 index, u8 value)
{
	rtc_write(&rtc, 0x70, 1, index);
	rtc_write(&rtc, 0x71, 1, value);
}

/* 2026-12-05 13:45:07 UTC, a Saturday. */
#define T0 1796478307ULL

static void test_calendar(void)
{
	u32 y, m, d;

	CHECK(rtc_days_from_civil(1970, 1, 1) == 0, "1970-01-01 is day 0");
	CHECK(rtc_days_from_civil(2000, 3, 1) == 11017, "2000-03-01 is day 11017 (a leap year)");
	rtc_civil_from_days(20792, &y, &m, &d);
	CHECK(y == 2026 && m == 12 && d == 5, "day 20792 is 2026-12-05");
	rtc_civil_from_days(rtc_days_from_civil(2024, 2, 29), &y, &m, &d);
	CHECK(y == 2024 && m == 2 && d == 29, "2024-02-29 round-trips");
}

static void test_reads_the_wall_clock_in_bcd_24h(void)
{
	wall = T0;
	rtc_init(&rtc, wall_now, NULL);
	CHECK(reg(0x00) == 0x07 && reg(0x02) == 0x45 && reg(0x04) == 0x13,
	      "13:45:07 in BCD, 24-hour (register B 0x02, as a BIOS leaves it)");
	CHECK(reg(0x07) == 0x05 && reg(0x08) == 0x12 && reg(0x09) == 0x26 && reg(0x32) == 0x20,
	      "day 05, month 12, year 26, century 20 (BCD)");
	CHECK(reg(0x06) == 7, "weekday 7: Saturday (1 is Sunday)");
	CHECK(reg(0x0a) == 0x26 && !(reg(0x0a) & 0x80), "register A 0x26, never update in progress");
	CHECK(reg(0x0b) == 0x02 && reg(0x0c) == 0 && reg(0x0d) == 0x80,
	      "register B 0x02, C no flags, D valid time");
	wall = T0 + 60;
	CHECK(reg(0x02) == 0x46 && reg(0x00) == 0x07, "a minute of wall clock later: 13:46:07");
	CHECK(rtc_read(&rtc, 0x70, 1) == 0xff, "port 0x70 reads all ones (write-only)");
}

static void test_binary_and_12_hour_forms(void)
{
	wall = T0;
	rtc_init(&rtc, wall_now, NULL);
	set(0x0b, 0x04);  /* binary, 12-hour */
	CHECK(reg(0x04) == (0x80 | 1) && reg(0x02) == 45 && reg(0x09) == 26,
	      "binary 12-hour: 1 PM (0x81), minute 45, year 26");
	wall = T0 - 13 * 3600;  /* 00:45:07 */
	CHECK(reg(0x04) == 12, "00:45 reads as 12 AM");
}

static void test_the_guest_sets_its_clock(void)
{
	wall = T0;
	rtc_init(&rtc, wall_now, NULL);
	set(0x0b, 0x82);  /* SET: updates stop while the fields are written */
	set(0x04, 0x08);
	set(0x02, 0x00);
	set(0x00, 0x30);
	wall = T0 + 5;
	CHECK(reg(0x04) == 0x08 && reg(0x00) == 0x30, "while SET, the written time holds still");
	set(0x0b, 0x02);
	wall = T0 + 65;
	CHECK(reg(0x04) == 0x08 && reg(0x02) == 0x01 && reg(0x00) == 0x30,
	      "SET cleared: the clock runs from 08:00:30, a minute later 08:01:30");
	CHECK(reg(0x07) == 0x05, "the date is kept");
	set(0x08, 0x13);
	CHECK(reg(0x08) == 0x12, "month 13 is refused: the clock keeps its own");
}

static void test_cmos_storage(void)
{
	rtc_init(&rtc, wall_now, NULL);
	set(0x8f, 0xab);  /* bit 7 of the index is the NMI mask: register 0x0f */
	CHECK(reg(0x0f) == 0xab, "CMOS byte 0x0F stores, the index's NMI bit dropped");
	set(0x7f, 0x5a);
	CHECK(reg(0x7f) == 0x5a && reg(0x0e) == 0, "byte 0x7F stores, 0x0E untouched is 0");
	set(0x0c, 0xff);
	set(0x0d, 0x00);
	CHECK(reg(0x0c) == 0 && reg(0x0d) == 0x80, "registers C and D are read-only");
}

int main(void)
{
	test_calendar();
	test_reads_the_wall_clock_in_bcd_24h();
	test_binary_and_12_hour_forms();
	test_the_guest_sets_its_clock();
	test_cmos_storage();
	return check_done();
}
