/* Host unit tests for the VGA CRT controller's index/data pair (devices/vga.c). */
#include "types.h"
#include "vga.h"
#include "check.h"

static struct vga_crtc crtc;
static int cursor_calls, ctx_ok;
static u8 cursor_index, cursor_value;

static void cursor_write(void *ctx, u8 index, u8 value)
{
	ctx_ok += ctx == &cursor_calls;
	cursor_calls++;
	cursor_index = index;
	cursor_value = value;
}

static void setup(void)
{
	vga_crtc_init(&crtc, 0x3D4, cursor_write, &cursor_calls);
	cursor_calls = ctx_ok = cursor_index = cursor_value = 0;
}

static u8 inb(u16 port) { return vga_crtc_read(&crtc, port, 1); }
static void outb(u16 port, u8 v) { vga_crtc_write(&crtc, port, 1, v); }

static u8 reg(u8 index)
{
	outb(0x3D4, index);
	return inb(0x3D5);
}

static void test_mode3_values(void)
{
	setup();
	CHECK(inb(0x3D4) == 0x00, "reset: index 0");
	CHECK(reg(0x00) == 0x5F && reg(0x01) == 0x4F && reg(0x09) == 0x4F,
	      "mode 3: horizontal total 0x5F, display end 0x4F, max scan line 0x4F");
	CHECK(reg(0x0A) == 0x0D && reg(0x0B) == 0x0E, "mode 3: cursor start 0x0D, end 0x0E");
	CHECK(reg(0x0E) == 0x00 && reg(0x0F) == 0x00, "mode 3: cursor location 0");
	CHECK(reg(0x12) == 0x8F && reg(0x14) == 0x1F && reg(0x17) == 0xA3 && reg(0x18) == 0xFF,
	      "mode 3: 0x12 0x8F, 0x14 0x1F, 0x17 0xA3, line compare 0x18 0xFF");
	CHECK(cursor_calls == 0, "reads call no cursor hook");
}

static void test_index_and_data(void)
{
	setup();
	outb(0x3D4, 0x0E);
	CHECK(inb(0x3D4) == 0x0E, "the index port reads back 0x0E");
	outb(0x3D5, 0x07);
	CHECK(inb(0x3D5) == 0x07, "cursor high 0x07 reads back");
	CHECK(cursor_calls == 1 && cursor_index == 0x0E && cursor_value == 0x07 && ctx_ok == 1,
	      "cursor high write: the hook gets (0x0E, 0x07) and its ctx");
	outb(0x3D4, 0x0F);
	outb(0x3D5, 0xD0);
	CHECK(cursor_calls == 2 && cursor_index == 0x0F && cursor_value == 0xD0,
	      "cursor low write: the hook gets (0x0F, 0xD0)");
	outb(0x3D4, 0x0A);
	outb(0x3D5, 0x20);
	outb(0x3D4, 0x0B);
	outb(0x3D5, 0x0F);
	CHECK(cursor_calls == 4 && cursor_index == 0x0B && reg(0x0A) == 0x20,
	      "cursor start and end writes reach the hook and read back");
	outb(0x3D4, 0x0C);
	outb(0x3D5, 0x12);
	CHECK(reg(0x0C) == 0x12 && cursor_calls == 4,
	      "start address high 0x12 is stored without calling the hook");
	outb(0x3D4, 0x18);
	outb(0x3D5, 0x44);
	CHECK(reg(0x18) == 0x44, "the last register, 0x18, is stored");
}

static void test_out_of_range(void)
{
	setup();
	CHECK(reg(0x19) == 0xFF && reg(0x7F) == 0xFF && reg(0xFF) == 0xFF,
	      "indexes 0x19, 0x7F, 0xFF read 0xFF");
	outb(0x3D4, 0x19);
	outb(0x3D5, 0x00);
	CHECK(reg(0x19) == 0xFF && reg(0x18) == 0xFF, "a write to index 0x19 is ignored");
	outb(0x3D4, 0x8E);
	outb(0x3D5, 0x33);
	CHECK(cursor_calls == 0 && reg(0x0E) == 0x00,
	      "index 0x8E is not cursor high (no hook, 0x0E unchanged)");
}

static void test_other_base_and_no_hook(void)
{
	vga_crtc_init(&crtc, 0x3B4, NULL, NULL);
	vga_crtc_write(&crtc, 0x3B4, 1, 0x0F);
	vga_crtc_write(&crtc, 0x3B5, 1, 0x99);
	CHECK(vga_crtc_read(&crtc, 0x3B5, 1) == 0x99, "a CRTC at 0x3B4 uses 0x3B4/0x3B5");
	CHECK(vga_crtc_read(&crtc, 0x3B4, 1) == 0x0F, "a CRTC at 0x3B4: index reads back");
}

int main(void)
{
	test_mode3_values();
	test_index_and_data();
	test_out_of_range();
	test_other_base_and_no_hook();
	return check_done();
}
