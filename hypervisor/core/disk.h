/*
 * The guest's disk: the ATA model (devices/ata.c) as the primary master, backed by a
 * region of the real primary-master disk (drivers/ata_host.c). The command-line word
 * `disk=START:COUNT` (sectors; `disk=START` for the rest of the disk) chooses the region;
 * without it the guest has no disk at all and the primary channel floats.
 */
#ifndef CORE_DISK_H
#define CORE_DISK_H

#include "cmdline.h"
#include "portbus.h"
#include "types.h"

struct vm;

/* The value of `disk=` into *w, for cmdline.c's option table; false if malformed. */
bool disk_parse(const char *value, size_t len, struct disk_window *w);
/*
 * Platform setup: with a window (a disk= word), probes the real disk, sets up the guest's ATA model
 * on IRQ 14 and adds its ports to ports[*n]. A missing real disk or a START past its end
 * ends the run with code 6 (config); a COUNT past its end is shrunk, with a log line.
 */
void disk_init(struct vm *vm, const struct disk_window *w, struct port_device *ports, int *n);
/* Whether two windows share a sector (a count of 0 reaches the end of the disk). */
bool disk_windows_overlap(const struct disk_window *a, const struct disk_window *b);

#endif
