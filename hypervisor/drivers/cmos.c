/*
 * The machine's own MC146818 clock (the emulator's, set from the host's time), read once at
 * boot: the wall clock each guest's virtual clock (devices/rtc.c) starts from and then runs
 * on with the TSC. Read twice until both agree, after waiting out an update in progress
 * (MC146818A datasheet: the time registers are unstable while register A's UIP is set).
 */
#include "hostirq.h"
#include "lib.h"
#include "log.h"
#include "rtc.h"
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define UIP 0x80
#define B_BINARY 0x04
#define B_24H 0x02
#define HOUR_PM 0x80
#define UIP_SPIN_LIMIT 10000000

static u64 wall_at_boot;
static u64 wall_base_ns;

static u8 cmos(u8 reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static u32 field(u8 v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

static bool read_time(u8 t[7])
{
	for (u32 spins = 0; cmos(0x0a) & UIP; spins++)
		if (spins == UIP_SPIN_LIMIT)
			return false;
	t[0] = cmos(0x00);
	t[1] = cmos(0x02);
	t[2] = cmos(0x04);
	t[3] = cmos(0x07);
	t[4] = cmos(0x08);
	t[5] = cmos(0x09);
	t[6] = cmos(0x32);
	return true;
}

void cmos_init(void)
{
	u8 a[7], b[7], regb = cmos(0x0b);
	bool binary = regb & B_BINARY;
	u32 year, month, day, hour;

	for (int tries = 0; tries < 5; tries++)
		if (read_time(a) && read_time(b) && !memcmp(a, b, sizeof(a)))
			break;
	hour = field(a[2] & ~HOUR_PM, binary);
	if (!(regb & B_24H))
		hour = hour % 12 + (a[2] & HOUR_PM ? 12 : 0);
	day = field(a[3], binary);
	month = field(a[4], binary);
	year = (a[6] ? field(a[6], binary) : 20) * 100 + field(a[5], binary);
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || year < 1970) {
		log_printf("rtc: the machine's clock reads no valid time; guests start at 1970\n");
		year = 1970, month = 1, day = 1, hour = 0, a[1] = a[0] = 0;
		binary = true;
	}
	wall_at_boot = rtc_days_from_civil(year, month, day) * 86400ULL + hour * 3600ULL +
		       field(a[1], binary) * 60ULL + field(a[0], binary);
	wall_base_ns = time_ns();
	log_printf("rtc: machine clock %04u-%02u-%02u %02u:%02u:%02u\n", year, month, day, hour,
		   field(a[1], binary), field(a[0], binary));
}

u64 wall_seconds(void *ctx)
{
	(void)ctx;
	return wall_at_boot + (time_ns() - wall_base_ns) / 1000000000ULL;
}
