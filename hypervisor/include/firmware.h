/* `bios`: the state a PC's BIOS leaves for the boot loader (core/firmware.c). */
#ifndef FIRMWARE_H
#define FIRMWARE_H

#include "vm.h"

/* Writes the real-mode interrupt table and its handlers into guest RAM, opens IRQ 0 and
 * starts the PIT at 18.2 Hz. False (after logging why) if guest RAM cannot hold them. */
bool firmware_pc_state(struct vm *vm);

#endif
