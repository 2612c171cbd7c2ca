/*
 * The hypervisor log on COM2, and a small printf: %s %c %d %i %u %x %X %p %%,
 * with the flags '-' '0' '#', a width (or '*'), a precision for %s (".N" or ".*"),
 * and the lengths l, ll and z.
 * Lines end in "\r\n" on the wire; the lab strips both.
 */
#include "lib.h"
#include "log.h"
#include "uart.h"

struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;
	size_t size, len;
};

static void put_repeat(struct sink *s, char c, int n)
{
	while (n-- > 0)
		s->put(s, c);
}

static void put_field(struct sink *s, const char *str, int len, int width, bool left)
{
	if (!left)
		put_repeat(s, ' ', width - len);
	for (int i = 0; i < len; i++)
		s->put(s, str[i]);
	if (left)
		put_repeat(s, ' ', width - len);
}

static void put_number(struct sink *s, u64 v, bool neg, unsigned base, bool upper,
		       const char *prefix, int width, bool left, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = strlen(prefix) + neg, pad;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	pad = width - plen - n;

	if (zero && !left) {
		if (neg)
			s->put(s, '-');
		put_field(s, prefix, strlen(prefix), 0, false);
		put_repeat(s, '0', pad);
	} else {
		if (!left)
			put_repeat(s, ' ', pad);
		if (neg)
			s->put(s, '-');
		put_field(s, prefix, strlen(prefix), 0, false);
	}
	while (n)
		s->put(s, tmp[--n]);
	if (left)
		put_repeat(s, ' ', pad);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		bool left = false, zero = false, alt = false;
		int width = 0, prec = -1, lng = 0;
		u64 v;

		if (*fmt != '%') {
			s->put(s, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;

		switch (*fmt) {
		case 'd':
		case 'i': {
			s64 x = lng ? va_arg(ap, s64) : va_arg(ap, int);

			put_number(s, x < 0 ? -(u64)x : (u64)x, x < 0, 10, false, "", width, left,
				   zero);
			break;
		}
		case 'u':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			put_number(s, v, false, 10, false, "", width, left, zero);
			break;
		case 'x':
		case 'X':
			v = lng ? va_arg(ap, u64) : va_arg(ap, unsigned);
			put_number(s, v, false, 16, *fmt == 'X', alt ? "0x" : "", width, left, zero);
			break;
		case 'p':
			v = (u64)va_arg(ap, void *);
			put_number(s, v, false, 16, false, "0x", 18, false, true);
			break;
		case 'c':
			put_repeat(s, ' ', left ? 0 : width - 1);
			s->put(s, (char)va_arg(ap, int));
			put_repeat(s, ' ', left ? width - 1 : 0);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			int len = 0;

			if (!str)
				str = "(null)";
			while (str[len] && (prec < 0 || len < prec))
				len++;
			put_field(s, str, len, width, left);
			break;
		}
		case '%':
			s->put(s, '%');
			break;
		case '\0':
			return;
		default: /* unknown conversion: show it as written */
			s->put(s, '%');
			s->put(s, *fmt);
			break;
		}
	}
}

static void put_log(struct sink *s, char c)
{
	(void)s;
	if (c == '\n')
		uart_putc(COM2_PORT, '\r');
	uart_putc(COM2_PORT, c);
}

static void put_buf(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

void log_init(void)
{
	uart_init(COM1_PORT);
	uart_init(COM2_PORT);
}

void log_vprintf(const char *fmt, va_list ap)
{
	struct sink s = { .put = put_log };

	format(&s, fmt, ap);
}

void log_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .put = put_buf, .buf = buf, .size = size };

	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return s.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
