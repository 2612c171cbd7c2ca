/* What boot/entry.S leaves for the C code, and the image bounds from link.ld. */
#ifndef BOOT_H
#define BOOT_H

#include "types.h"

extern u32 boot_magic;    /* EAX at entry: MULTIBOOT_BOOTLOADER_MAGIC */
extern u32 boot_mbi;      /* EBX at entry: physical address of the multiboot info */
extern char __image_start[], __image_end[];

void hv_main(void) __noreturn;

#endif
