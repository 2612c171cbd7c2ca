/* The MC146818 real-time clock and CMOS (devices/rtc.h). */
#include "rtc.h"

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS 0x04
#define REG_WEEKDAY 0x06
#define REG_DAY 0x07
#define REG_MONTH 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32     /* the IBM PC's CMOS layout: the century, BCD */

#define A_UIP 0x80           /* update in progress: never, the time is computed on read */
#define A_DEFAULT 0x26       /* 32.768 kHz time base, 1024 Hz periodic rate (as a BIOS sets) */
#define B_SET 0x80           /* updates stopped while the time is being set */
#define B_BINARY 0x04        /* DM: binary, else BCD */
#define B_24H 0x02
#define B_DEFAULT B_24H      /* BCD, 24-hour: a PC BIOS's setting */
#define D_VRT 0x80           /* valid RAM and time */
#define HOUR_PM 0x80         /* 12-hour form: the hour's top bit */
#define SECONDS_PER_DAY 86400ULL

struct civil {
	u32 year, month, day, hour, minute, second, weekday;  /* weekday 1 = Sunday */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
u64 rtc_days_from_civil(u32 year, u32 month, u32 day)
{
	s64 y = (s64)year - (month <= 2);
	s64 era = (y >= 0 ? y : y - 399) / 400;
	s64 yoe = y - era * 400;
	s64 doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	s64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (u64)(era * 146097 + doe - 719468);
}

void rtc_civil_from_days(u64 days, u32 *year, u32 *month, u32 *day)
{
	s64 z = (s64)days + 719468;
	s64 era = (z >= 0 ? z : z - 146096) / 146097;
	s64 doe = z - era * 146097;
	s64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	s64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	s64 mp = (5 * doy + 2) / 153;

	*day = (u32)(doy - (153 * mp + 2) / 5 + 1);
	*month = (u32)(mp < 10 ? mp + 3 : mp - 9);
	*year = (u32)(yoe + era * 400 + (*month <= 2));
}

static struct civil to_civil(u64 t)
{
	struct civil c;
	u64 days = t / SECONDS_PER_DAY, secs = t % SECONDS_PER_DAY;

	rtc_civil_from_days(days, &c.year, &c.month, &c.day);
	c.hour = secs / 3600;
	c.minute = secs / 60 % 60;
	c.second = secs % 60;
	c.weekday = (days + 4) % 7 + 1;  /* 1970-01-01 was a Thursday (5) */
	return c;
}

static u64 from_civil(const struct civil *c)
{
	return rtc_days_from_civil(c->year, c->month, c->day) * SECONDS_PER_DAY +
	       c->hour * 3600ULL + c->minute * 60ULL + c->second;
}

static u64 now(const struct rtc *r)
{
	return r->setting ? r->set_time : r->wall(r->ctx) + r->offset;
}

static u8 encode(const struct rtc *r, u32 v)
{
	return r->cmos[REG_B] & B_BINARY ? v : (v / 10) << 4 | v % 10;
}

static u32 decode(const struct rtc *r, u8 v)
{
	return r->cmos[REG_B] & B_BINARY ? v : (v >> 4) * 10 + (v & 15);
}

static u8 hour_out(const struct rtc *r, u32 hour)
{
	if (r->cmos[REG_B] & B_24H)
		return encode(r, hour);
	return encode(r, hour % 12 ? hour % 12 : 12) | (hour >= 12 ? HOUR_PM : 0);
}

static u32 hour_in(const struct rtc *r, u8 v)
{
	u32 h;

	if (r->cmos[REG_B] & B_24H)
		return decode(r, v);
	h = decode(r, v & ~HOUR_PM) % 12;
	return v & HOUR_PM ? h + 12 : h;
}

static u8 read_reg(struct rtc *r, u8 reg)
{
	struct civil c = to_civil(now(r));

	switch (reg) {
	case REG_SECONDS: return encode(r, c.second);
	case REG_MINUTES: return encode(r, c.minute);
	case REG_HOURS: return hour_out(r, c.hour);
	case REG_WEEKDAY: return encode(r, c.weekday);
	case REG_DAY: return encode(r, c.day);
	case REG_MONTH: return encode(r, c.month);
	case REG_YEAR: return encode(r, c.year % 100);
	case REG_CENTURY: return encode(r, c.year / 100);
	case REG_A: return r->cmos[REG_A] & ~A_UIP;
	case REG_C: return 0;  /* no interrupt flags: none is ever raised */
	case REG_D: return D_VRT;
	default: return r->cmos[reg];
	}
}

/* A time register written: the clock moves by what the new field changes. */
static void write_time(struct rtc *r, u8 reg, u8 v)
{
	u64 t = now(r), t2;
	struct civil c = to_civil(t);

	switch (reg) {
	case REG_SECONDS: c.second = decode(r, v) % 60; break;
	case REG_MINUTES: c.minute = decode(r, v) % 60; break;
	case REG_HOURS: c.hour = hour_in(r, v) % 24; break;
	case REG_DAY: c.day = decode(r, v); break;
	case REG_MONTH: c.month = decode(r, v); break;
	case REG_YEAR: c.year = c.year / 100 * 100 + decode(r, v) % 100; break;
	case REG_CENTURY: c.year = decode(r, v) * 100 + c.year % 100; break;
	default: return;  /* the weekday follows from the date */
	}
	if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.year < 1970)
		return;  /* no valid time: the clock keeps its own */
	t2 = from_civil(&c);
	if (r->setting)
		r->set_time = t2;
	else
		r->offset += t2 - t;
}

static void write_reg(struct rtc *r, u8 reg, u8 v)
{
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		if ((v & B_SET) && !r->setting) {
			r->set_time = now(r);
			r->setting = true;
		} else if (!(v & B_SET) && r->setting) {
			r->setting = false;
			r->offset = r->set_time - r->wall(r->ctx);
		}
		r->cmos[REG_B] = v;
		break;
	case REG_C: case REG_D:
		break;  /* read-only */
	case REG_SECONDS: case REG_MINUTES: case REG_HOURS: case REG_WEEKDAY:
	case REG_DAY: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		write_time(r, reg, v);
		break;
	default:
		r->cmos[reg] = v;
	}
}

void rtc_init(struct rtc *r, u64 (*wall)(void *ctx), void *ctx)
{
	*r = (struct rtc){ .wall = wall, .ctx = ctx };
	r->cmos[REG_A] = A_DEFAULT;
	r->cmos[REG_B] = B_DEFAULT;
}

u32 rtc_read(void *state, u16 port, u8 size)
{
	struct rtc *r = state;

	(void)size;
	if (port == RTC_INDEX_PORT)
		return 0xff;  /* write-only on a PC; QEMU reads all ones too */
	return read_reg(r, r->index);
}

void rtc_write(void *state, u16 port, u8 size, u32 value)
{
	struct rtc *r = state;

	(void)size;
	if (port == RTC_INDEX_PORT)
		r->index = value & (RTC_CMOS_SIZE - 1);  /* bit 7 masks NMI: none is raised */
	else
		write_reg(r, r->index, value);
}

struct port_device rtc_dev(struct rtc *r)
{
	return (struct port_device){ .name = "rtc", .base = RTC_INDEX_PORT, .count = 2,
				     .state = r, .read = rtc_read, .write = rtc_write };
}
