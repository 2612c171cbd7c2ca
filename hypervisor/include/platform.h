/*
 * A guest's devices, all in one value (struct platform, inside struct vm): the models of
 * devices/ and the state that ties them to the guest's time and to each other. One place,
 * core/platform.c, creates them and puts them on the guest's port bus; core/irq.c drives
 * the interrupt controllers and the PIT's clock.
 */
#ifndef PLATFORM_H
#define PLATFORM_H

#include "../devices/ata.h"
#include "../devices/debugcon.h"
#include "../devices/debugexit.h"
#include "../devices/i8042.h"
#include "../devices/lapic.h"
#include "../devices/pic.h"
#include "../devices/pit.h"
#include "../devices/rtc.h"
#include "../devices/serial.h"
#include "../devices/testdev.h"
#include "../devices/vga.h"
#include "types.h"

/* A guest-physical range a device model claims (vm_register_mmio): the core emulates the
 * accesses that fault there (core/mmio.c). */
struct mmio_device {
	const char *name;
	u64 base, size;  /* guest-physical [base, base + size) */
	void *state;
	u64 (*read)(void *state, u64 gpa, u8 size);
	void (*write)(void *state, u64 gpa, u8 size, u64 value);
};

/* The guest's disk: sectors [start, start + count) of a real disk (core/disk.c). */
struct ata_host_disk;
struct disk_region {
	struct ata_host_disk *disk;
	u64 start, count;
};

struct platform {
	struct pic_pair pic;
	struct pit pit;
	u64 pit_synced_ns;  /* the hypervisor time the PIT model has reached */
	u64 pit_edge_ns;    /* when its next IRQ0 edge falls due (PIT_NO_EVENT: never) */
	u64 pit_edge_tsc;   /* the same in TSC cycles: all an exit needs to look at */
	u32 pit_owed;       /* IRQ0 edges not yet latched in the PIC */
	/* Before each entry irq_deliver runs once the TSC reaches this: pit_edge_tsc, or 0
	 * while an edge is owed, a glitch is pending, a window is asked or the master PIC
	 * has an unmasked request. Anything may lower it; irq_deliver alone sets it anew
	 * (core/irq.c). */
	u64 irq_check_tsc;
	struct i8042 kbd;
	struct serial com1;
	struct debugcon debugcon;
	struct testdev testdev;
	struct testdev_irq testirq;
	bool intr_glitch;   /* the test device's too-short request (devices/testdev.h) */
	struct vga_crtc crtc;
	struct debug_exit debug_exit;
	struct rtc rtc;
	struct lapic lapic;          /* at IA32_APIC_BASE's page (core/platform.c) */
	struct mmio_device lapic_mmio;
	bool has_disk;
	struct disk_region region;
	struct ata_backend disk_backend;
	struct ata ata;
};

#endif
