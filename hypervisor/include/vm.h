/*
 * The virtual machine as the core owns it, all of it in one value: guest RAM at
 * guest-physical 0, the nested page tables that map it, MMIO regions claimed by device
 * models, its port bus and devices, its one vCPU and how its run ended. A second guest is
 * a second struct vm. Vendor-neutral: the backend is reached through vm->ops only.
 */
#ifndef VM_H
#define VM_H

#include "platform.h"
#include "portbus.h"
#include "run_end.h"
#include "types.h"
#include "vcpu.h"
#include "virt.h"

/* The legacy VGA hole (IBM VGA Technical Reference): 0xA0000-0xBFFFF. */
#define VGA_WINDOW_START 0xa0000ULL
#define VGA_TEXT_START 0xb8000ULL
#define VGA_TEXT_END 0xc0000ULL
#define LOW_MEM_END 0x9fc00ULL  /* conventional memory the mmap reports usable */
#define HIGH_MEM_START 0x100000ULL

#define VM_MAX_MMIO 8

/* Where a guest stands with the scheduler (core/run.c). */
enum vm_state { VM_READY, VM_HALTED, VM_ENDED };

struct vm {
	int id;          /* 0, 1, ...: its `guest` module's place (CONTRACT.md 10) */
	const struct virt_ops *ops;
	u64 ram_hpa;     /* host-physical (= hypervisor virtual) start of guest RAM */
	u64 ram_size;
	u64 npt_root;    /* host-physical PML4 of the nested page tables */
	struct mmio_device *mmio[VM_MAX_MMIO];
	int nr_mmio;
	u64 watchdog_ms; /* CONTRACT.md 2: 0 = off */
	struct vcpu vcpu;
	struct portbus bus;
	struct platform dev;
	u64 vga_hpa;     /* what its VGA text window maps: the real one while it has the focus */
	u64 vga_copy;    /* its own text while another guest has the focus */
	/* Page deduplication (core/dedup.c): RAM in 4 KiB pages, each page's host page and
	 * whether it is shared (read-only); NULL when off. */
	bool small_pages;
	u64 *page_hpa;
	u16 *page_shared;  /* 0: its own page; else 1 + the slot of the shared page it maps */
	bool tlb_stale;  /* its nested tables changed since its TLB was last flushed */
	enum vm_state state;
	enum end_code end_code;    /* what guest_stop() chose */
	u64 last_own_exit_tsc;     /* the watchdog's reference (core/run.c) */
};

/* Allocates guest RAM (mib MiB) and builds its nested page tables: guest `id`, whose VGA
 * text window is the real screen if `focused`, else a copy of its own. Ends the run
 * (config) when the memory is not there. */
void vm_create(struct vm *vm, int id, const struct virt_ops *ops, u64 mib, bool focused,
	       bool small_pages);
/* Maps RAM page gpa to host page hpa, writable or read-only (4 KiB pages only). */
void vm_map_ram_page(struct vm *vm, u64 gpa, u64 hpa, bool writable);
/* Moves the real screen from guest `from` to guest `to` (either may be NULL): the text
 * is saved and restored and both windows remapped; their TLBs are flushed. */
void vm_move_screen(struct vm *from, struct vm *to);
/* The hypervisor's pointer to guest-physical [gpa, gpa + len) in RAM, or NULL. Once pages
 * are deduplicated, a range within one page only. */
void *vm_gpa_to_hva(struct vm *vm, u64 gpa, u64 len);
/* The same, for the hypervisor to write there: a shared page is unshared first. */
void *vm_gpa_to_hva_write(struct vm *vm, u64 gpa, u64 len);
/* Claims [base, base + size), which must lie outside RAM: accesses fault and are routed. */
bool vm_register_mmio(struct vm *vm, struct mmio_device *dev);
struct mmio_device *vm_find_mmio(struct vm *vm, u64 gpa);

/* Guest-linear accesses through the guest's own page tables (core/gpt.c). */
bool vcpu_linear_to_gpa(struct vcpu *v, u64 la, bool write, u64 *gpa);
bool vcpu_read_linear(struct vcpu *v, u64 la, void *buf, size_t len);
bool vcpu_write_linear(struct vcpu *v, u64 la, const void *buf, size_t len);

/* Creates the guest's devices and puts them on its port bus (core/platform.c). */
struct disk_window;
void platform_init(struct vm *vm, const struct disk_window *disk);
/* The guests that share the console, the keyboard and the screen (core/platform.c);
 * guest 0 has the focus first. */
void platform_set_guests(struct vm *vms, int n);
/* Asks for the focus to move to guest id (safe from an interrupt handler)... */
void platform_request_focus(int id);
/* ...which happens here, between two guest runs (the screen moves with it). */
void platform_poll(void);
/* A byte of the guest's console output (CONTRACT.md 3): its COM1, port 0xE9, `puts`. */
void console_write(struct vm *vm, u8 byte);

/* Loads the guest module as a Multiboot kernel and fills *boot (core/loader.c). */
struct multiboot_info;
bool guest_load(struct vm *vm, const struct multiboot_info *mbi, struct vcpu_boot *boot);

/* Runs the guests' vCPUs in turn until the last guest ends; never returns (core/run.c). */
void vm_run(struct vm *vms, int n, u64 slice_ms) __noreturn;

#endif
