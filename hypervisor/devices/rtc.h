/*
 * Virtual MC146818 real-time clock and CMOS memory at ports 0x70 (index) and 0x71 (data),
 * after the Motorola MC146818A datasheet and QEMU's mc146818rtc.c: the time registers
 * (0-9, century at 0x32) read from a wall clock in seconds since 1970 that the core keeps,
 * in BCD or binary and 24- or 12-hour form as register B says; register A never shows an
 * update in progress; register D says the time is valid. The other bytes are plain CMOS
 * storage. No alarm, periodic or update interrupt is raised (IRQ 8 stays low).
 */
#ifndef DEVICES_RTC_H
#define DEVICES_RTC_H

#include "portbus.h"
#include "types.h"

#define RTC_INDEX_PORT 0x70
#define RTC_DATA_PORT 0x71
#define RTC_CMOS_SIZE 128

struct rtc {
	u8 index;                 /* port 0x70's last write, bit 7 (NMI mask) dropped */
	u8 cmos[RTC_CMOS_SIZE];   /* what is not the time: registers A-D and storage */
	u64 offset;               /* seconds the guest set its clock away from the wall,
				   * modulo 2^64 (a clock set back is a large offset) */
	u64 (*wall)(void *ctx);   /* seconds since 1970-01-01 00:00 UTC, now */
	void *ctx;
	bool setting;             /* register B's SET bit: the time writes are being made */
	u64 set_time;             /* the time those writes build, from the time when SET rose */
};

void rtc_init(struct rtc *r, u64 (*wall)(void *ctx), void *ctx);
u32 rtc_read(void *state, u16 port, u8 size);
void rtc_write(void *state, u16 port, u8 size, u32 value);
struct port_device rtc_dev(struct rtc *r);

/* Calendar arithmetic, shared with the driver that reads the real clock at boot. */
u64 rtc_days_from_civil(u32 year, u32 month, u32 day);
void rtc_civil_from_days(u64 days, u32 *year, u32 *month, u32 *day);

#endif
