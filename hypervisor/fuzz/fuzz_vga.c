/* The VGA CRTC (devices/vga.c): its index and data ports, 0x3D4/0x3D5. */
#include "fuzz.h"
#include "vga.h"

static void cursor_write(void *ctx, u8 index, u8 value)
{
	(void)ctx;
	(void)index;
	(void)value;
}

/* The CRTC has no events of its own. */
static void event(struct fuzz_input *in)
{
	(void)take8(in);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct vga_crtc crtc;
	struct port_device dev;
	struct port_device *devs[1] = { &dev };

	vga_crtc_init(&crtc, 0x3d4, cursor_write, NULL);
	dev = vga_crtc_dev(&crtc);
	fuzz_run(&in, devs, 1, event);
	return 0;
}
