/*
 * The guest's own exit, as QEMU's isa-debug-exit device offers it at port 0xF4 (CONTRACT.md
 * 4): a value written there ends the guest, and 0 is a pass. kvm-unit-tests end so; under
 * QEMU alone the machine's exit status is (value << 1) | 1.
 */
#ifndef DEVICES_DEBUGEXIT_H
#define DEVICES_DEBUGEXIT_H

#include "portbus.h"
#include "types.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_PORTS 4   /* QEMU's iosize=0x4: any width at 0xF4 */

struct debug_exit {
	bool written;   /* the guest asked to end: the core ends it after the OUT */
	u32 value;
};

struct port_device debug_exit_dev(struct debug_exit *d);

#endif
