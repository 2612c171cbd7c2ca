/*
 * The guest's disk: the ATA model (devices/ata.c) as the primary master, backed by a
 * region of the real primary-master disk (drivers/ata_host.c). The command-line word
 * `disk=START:COUNT` (sectors; `disk=START` for the rest of the disk) chooses the region;
 * without it the guest has no disk at all and the primary channel floats.
 */
#ifndef CORE_DISK_H
#define CORE_DISK_H

#include "types.h"

/* The value of `disk=`, for cmdline.c's option table; false if malformed. */
bool disk_parse(const char *value, size_t len);
/*
 * Platform setup: with a disk= word, probes the real disk and puts the model's ports on
 * the bus, IRQ14 going to set_irq. A missing real disk or a START past its end ends the
 * run with code 6 (config); a COUNT past its end is shrunk, with a log line.
 */
void disk_init(void (*set_irq)(void *opaque, int level), void *opaque);

#endif
