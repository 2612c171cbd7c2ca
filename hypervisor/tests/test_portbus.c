/* host-test-sources: core/portbus.c */
/*
 * Host unit tests for the port bus (core/portbus.c) with the real device models on it, as
 * core/platform.c puts them there: registration, unclaimed ports, and the split of a 16- or
 * 32-bit access to an 8-bit device into byte accesses at consecutive ports, each routed on
 * its own (a PC's bus does this for an 8-bit ISA card).
 */
#include "core_harness.h"
#include "pic.h"
#include "portbus.h"
#include "serial.h"
#include "testdev.h"
#include "vga.h"
#include "check.h"

static struct portbus bus;
static struct serial com1;
static struct vga_crtc crtc;
static struct pic_pair pic;
static struct testdev testdev;
static u8 sent[16];
static int nsent, cursor_calls;

static void tx(void *ctx, u8 byte)
{
	(void)ctx;
	sent[nsent++ % sizeof(sent)] = byte;
}

static void cursor_write(void *ctx, u8 index, u8 value)
{
	(void)ctx;
	(void)index;
	(void)value;
	cursor_calls++;
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	serial_init(&com1, 0x3F8, tx, NULL);
	vga_crtc_init(&crtc, 0x3D4, cursor_write, NULL);
	pic_init(&pic);
	testdev_init(&testdev, 0xE0);
	nsent = cursor_calls = 0;
	CHECK(portbus_register(&bus, serial_dev(&com1)) &&
	      portbus_register(&bus, vga_crtc_dev(&crtc)) &&
	      portbus_register(&bus, pic_master_dev(&pic)) &&
	      portbus_register(&bus, testdev_dev(&testdev)), "setup: four devices registered");
	log_clear();
}

static u32 in(u16 port, u8 size)
{
	u32 v = 0x12345678;

	portbus_access(&bus, port, size, true, &v);
	return v;
}

static void out(u16 port, u8 size, u32 v)
{
	portbus_access(&bus, port, size, false, &v);
}

static u8 crtc_reg(u8 index)
{
	out(0x3D4, 1, index);
	return in(0x3D5, 1);
}

static void test_register(void)
{
	struct port_device d = { .name = "x", .base = 0x3FC, .count = 8, .read = NULL };

	setup();
	CHECK(!portbus_register(&bus, d), "a range overlapping com1's is refused");
	d.base = 0x400;
	d.count = 0;
	CHECK(!portbus_register(&bus, d), "an empty range is refused");
	d.count = 1;
	for (int i = bus.nr; i < PORTBUS_MAX; i++, d.base++)
		portbus_register(&bus, d);
	CHECK(bus.nr == PORTBUS_MAX && !portbus_register(&bus, d), "a full bus refuses more");
}

static void test_unclaimed(void)
{
	setup();
	CHECK(in(0x300, 1) == 0xFF && in(0x300, 2) == 0xFFFF && in(0x300, 4) == 0xFFFFFFFF,
	      "an unclaimed port reads all ones at every width");
	CHECK(log_lines == 3 && logged("unclaimed port 0x300"), "each unclaimed access is logged");
	for (int i = 0; i < 20; i++)
		out(0x301, 1, 0);
	CHECK(log_lines == 16 && logged("no more logged"), "logging stops after 16, saying so");
}

static void test_split_vga(void)
{
	setup();
	out(0x3D4, 2, 0x4F0E);
	CHECK(crtc_reg(0x0E) == 0x4F && cursor_calls == 1,
	      "outw 0x4F0E to 0x3D4: index 0x0E, then data 0x4F at 0x3D5 (the cursor idiom)");
	out(0x3D4, 1, 0x0E);
	CHECK(in(0x3D4, 2) == 0x4F0E, "inw at 0x3D4: index, then data");
	CHECK(in(0x3D4, 4) == 0xFFFF4F0E,
	      "inl at 0x3D4: index, data, then two unclaimed ports float high");
	CHECK(log_lines == 0, "the unclaimed bytes of a split access are not logged");
	out(0x3D4, 4, 0x0B0A0C0F);
	CHECK(crtc_reg(0x0F) == 0x0C, "outl at 0x3D4: index 0x0F and data 0x0C; the rest floats");
}

static void test_split_serial(void)
{
	setup();
	out(0x3FB, 1, 0x83);
	out(0x3F8, 1, 0x01);
	out(0x3F9, 1, 0x02);
	CHECK(in(0x3F8, 2) == 0x0201, "DLAB: inw at 0x3F8 gives DLM:DLL");
	out(0x3FB, 1, 0x03);
	out(0x3F8, 2, 0x0341);
	CHECK(nsent == 1 && sent[0] == 'A' && in(0x3F9, 1) == 0x03,
	      "outw 0x0341 at 0x3F8: THR 'A', then IER 0x03");
	out(0x3FF, 1, 0x5C);
	CHECK(in(0x3FB, 4) == (in(0x3FB, 1) | in(0x3FC, 1) << 8 | in(0x3FD, 1) << 16 |
			       (u32)in(0x3FE, 1) << 24), "inl at 0x3FB: LCR, MCR, LSR, MSR");
	CHECK(in(0x3FF, 2) == 0xFF5C, "inw at 0x3FF: SCR, then 0x400, which nothing claims");
}

static void test_split_pic(void)
{
	setup();
	out(0x21, 1, 0x5A);
	CHECK(in(0x20, 2) == 0x5A00, "inw at 0x20: IRR (0), then IMR 0x5A at 0x21");
	CHECK(in(0x21, 2) == 0xFF5A, "inw at 0x21: IMR, then 0x22 floats");
}

static void test_wide_device(void)
{
	setup();
	out(0xE6, 4, 0xDDCCBBAA);
	CHECK(in(0xE6, 4) == 0xDDCCBBAA && in(0xE0, 2) == 0xDDCC,
	      "the test device is not 8-bit: a dword at 0xE6 wraps within its eight bytes");
}

static void test_split_blocks(void)
{
	u8 words[4] = { 0x0E, 0x12, 0x0F, 0x34 };
	u8 back[4];

	setup();
	portbus_access_block(&bus, 0x3D4, 2, false, words, 2);
	CHECK(crtc_reg(0x0E) == 0x12 && crtc_reg(0x0F) == 0x34,
	      "rep outsw of two words to 0x3D4: two index/data pairs");
	out(0x3D4, 1, 0x0E);
	portbus_access_block(&bus, 0x3D4, 2, true, back, 2);
	CHECK(back[0] == 0x0E && back[1] == 0x12 && back[2] == 0x0E && back[3] == 0x12,
	      "rep insw from 0x3D4: index and data, twice");
}

int main(void)
{
	test_register();
	test_unclaimed();
	test_split_vga();
	test_split_serial();
	test_split_pic();
	test_wide_device();
	test_split_blocks();
	return check_done();
}
