/*
 * The virtual machine as the core owns it: guest RAM at guest-physical 0, the
 * nested page tables that map it, MMIO regions claimed by device models, and the
 * one vCPU. Vendor-neutral: the backend is reached through vm->ops only.
 */
#ifndef VM_H
#define VM_H

#include "types.h"
#include "vcpu.h"
#include "virt.h"

/* The legacy VGA hole (IBM VGA Technical Reference): 0xA0000-0xBFFFF. */
#define VGA_WINDOW_START 0xa0000ULL
#define VGA_TEXT_START 0xb8000ULL
#define VGA_TEXT_END 0xc0000ULL
#define LOW_MEM_END 0x9fc00ULL  /* conventional memory the mmap reports usable */
#define HIGH_MEM_START 0x100000ULL

struct mmio_device {
	const char *name;
	u64 base, size;  /* guest-physical [base, base + size) */
	void *state;
	u64 (*read)(void *state, u64 gpa, u8 size);
	void (*write)(void *state, u64 gpa, u8 size, u64 value);
};

#define VM_MAX_MMIO 8

struct vm {
	const struct virt_ops *ops;
	u64 ram_hpa;     /* host-physical (= hypervisor virtual) start of guest RAM */
	u64 ram_size;
	u64 npt_root;    /* host-physical PML4 of the nested page tables */
	struct mmio_device *mmio[VM_MAX_MMIO];
	int nr_mmio;
	u64 watchdog_ms; /* CONTRACT.md 2: 0 = off */
	struct vcpu vcpu;
};

/* Allocates guest RAM (mib MiB) and builds its nested page tables; panics on failure. */
void vm_create(struct vm *vm, const struct virt_ops *ops, u64 mib);
/* The hypervisor's pointer to guest-physical [gpa, gpa + len) in RAM, or NULL. */
void *vm_gpa_to_hva(struct vm *vm, u64 gpa, u64 len);
/* Claims [base, base + size), which must lie outside RAM: accesses fault and are routed. */
bool vm_register_mmio(struct vm *vm, struct mmio_device *dev);
struct mmio_device *vm_find_mmio(struct vm *vm, u64 gpa);

/* Guest-linear accesses through the guest's own page tables (core/gpt.c). */
bool vcpu_linear_to_gpa(struct vcpu *v, u64 la, bool write, u64 *gpa);
bool vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t len);
bool vcpu_write_linear(struct vcpu *v, u64 la, const void *buf, size_t len);

/* Registers the device models of the guest's platform (core/platform.c). */
void platform_init(struct vm *vm);

/* Loads the guest module as a Multiboot kernel and fills *boot (core/loader.c). */
struct multiboot_info;
bool guest_load(struct vm *vm, const struct multiboot_info *mbi, struct vcpu_boot *boot);

/* Runs the vCPU until the guest's run ends; never returns (core/run.c). */
void vm_run(struct vm *vm) __noreturn;

#endif
