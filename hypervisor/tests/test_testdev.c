/* Host unit tests for the lab's test device and its interrupt register (devices/testdev.c). */
#include "types.h"
#include "testdev.h"
#include "check.h"

static struct testdev dev;

static u32 in(u16 port, u8 size) { return testdev_read(&dev, port, size); }
static void out(u16 port, u8 size, u32 v) { testdev_write(&dev, port, size, v); }

static bool bytes_are(const u8 want[8])
{
	for (int i = 0; i < 8; i++)
		if (dev.bytes[i] != want[i])
			return false;
	return true;
}

static void test_storage(void)
{
	testdev_init(&dev, 0xE0);
	CHECK(in(0xE0, 4) == 0 && in(0xE4, 4) == 0, "reset: all eight bytes 0");
	out(0xE3, 1, 0xAB);
	CHECK(in(0xE3, 1) == 0xAB, "out byte 0xAB at 0xE3 reads back");
	CHECK(in(0xE0, 4) == 0xAB000000 && in(0xE4, 4) == 0, "it touched offset 3 only");
	out(0xE0, 4, 0x04030201);
	out(0xE4, 4, 0x08070605);
	CHECK(bytes_are((const u8[8]){ 1, 2, 3, 4, 5, 6, 7, 8 }), "two dwords: bytes 1..8, little endian");
	CHECK(in(0xE2, 4) == 0x06050403, "in dword at 0xE2: offsets 2..5");
	CHECK(in(0xE1, 2) == 0x0302, "in word at 0xE1: offsets 1..2 (unaligned)");
	CHECK(in(0xE7, 1) == 0x08, "in byte at 0xE7: offset 7");
	out(0xE5, 2, 0xBBAA);
	CHECK(bytes_are((const u8[8]){ 1, 2, 3, 4, 5, 0xAA, 0xBB, 8 }),
	      "out word at 0xE5: offsets 5 and 6 only");
	out(0xE1, 1, 0x1FF);
	CHECK(dev.bytes[1] == 0xFF && dev.bytes[2] == 3, "out byte 0x1FF: 0xFF stored, offset 2 kept");
	out(0xE2, 2, 0xFFFF1234);
	CHECK(dev.bytes[2] == 0x34 && dev.bytes[3] == 0x12 && dev.bytes[4] == 5,
	      "out word with high bits set: two bytes stored");
}

static void test_wrap(void)
{
	testdev_init(&dev, 0xE0);
	out(0xE6, 4, 0xDDCCBBAA);
	CHECK(bytes_are((const u8[8]){ 0xCC, 0xDD, 0, 0, 0, 0, 0xAA, 0xBB }),
	      "out dword at 0xE6 wraps: offsets 6, 7, 0, 1");
	CHECK(in(0xE6, 4) == 0xDDCCBBAA, "in dword at 0xE6 reads the wrapped bytes back");
	out(0xE7, 2, 0x2211);
	CHECK(dev.bytes[7] == 0x11 && dev.bytes[0] == 0x22, "out word at 0xE7: offsets 7, 0");
	CHECK(in(0xE7, 2) == 0x2211, "in word at 0xE7 wraps the same way");
}

static void test_other_base(void)
{
	testdev_init(&dev, 0x100);
	out(0x102, 2, 0x5150);
	CHECK(dev.bytes[2] == 0x50 && dev.bytes[3] == 0x51, "a device at 0x100: 0x102 is offset 2");
	CHECK(in(0x102, 2) == 0x5150, "a device at 0x100: reads back at 0x102");
}

static struct { int irq, level; } calls[8];
static int ncalls, glitches, ctx_ok;

static void set_line(void *ctx, int irq, int level)
{
	ctx_ok += ctx == &ncalls;
	if (ncalls < 8)
		calls[ncalls] = (typeof(calls[0])){ irq, level };
	ncalls++;
}

static void glitch(void *ctx)
{
	ctx_ok += ctx == &ncalls;
	glitches++;
}

static struct testdev_irq irqdev = { set_line, glitch, &ncalls };

static void irq_write(u32 v)
{
	ncalls = glitches = ctx_ok = 0;
	testdev_irq_write(&irqdev, TESTDEV_IRQ_PORT, 1, v);
}

static void test_irq_register(void)
{
	irq_write(0x05);
	CHECK(ncalls == 2 && calls[0].irq == 5 && calls[0].level == 1 && calls[1].irq == 5 &&
	      calls[1].level == 0, "0x05 pulses IRQ 5: raise, then lower");
	CHECK(ctx_ok == 2 && glitches == 0, "the pulse passes ctx and does not glitch");
	irq_write(0x00);
	CHECK(ncalls == 2 && calls[0].irq == 0 && calls[1].irq == 0, "0x00 pulses IRQ 0");
	irq_write(0x0F);
	CHECK(ncalls == 2 && calls[0].irq == 15 && calls[0].level == 1, "0x0F pulses IRQ 15");
	irq_write(0x2C);
	CHECK(ncalls == 1 && calls[0].irq == 12 && calls[0].level == 1, "0x2C raises IRQ 12 only");
	irq_write(0x4C);
	CHECK(ncalls == 1 && calls[0].irq == 12 && calls[0].level == 0, "0x4C lowers IRQ 12 only");
	irq_write(0x80);
	CHECK(glitches == 1 && ncalls == 0 && ctx_ok == 1, "0x80 glitches once, no line moves");
	irq_write(0x105);
	CHECK(ncalls == 2 && calls[0].irq == 5, "bits above the byte are dropped (0x105 pulses 5)");
	static const u8 ignored[] = { 0x10, 0x1F, 0x30, 0x50, 0x60, 0x81, 0x8F, 0xA0, 0xC5, 0xFF };
	int moved = 0;

	for (unsigned i = 0; i < sizeof(ignored); i++) {
		irq_write(ignored[i]);
		moved += ncalls + glitches;
	}
	CHECK(moved == 0, "0x10, 0x1F, 0x30, 0x50, 0x60, 0x81, 0x8F, 0xA0, 0xC5, 0xFF are ignored");
	CHECK(testdev_irq_read(&irqdev, TESTDEV_IRQ_PORT, 1) == 0 &&
	      testdev_irq_read(&irqdev, TESTDEV_IRQ_PORT, 4) == 0, "reads of 0xE8 return 0");
}

int main(void)
{
	test_storage();
	test_wrap();
	test_other_base();
	test_irq_register();
	return check_done();
}
