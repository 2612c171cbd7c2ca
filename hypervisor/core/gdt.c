/*
 * The hypervisor's GDT and 64-bit TSS. In long mode the TSS holds no task state,
 * only stack pointers: its IST slots give #DF, NMI and #MC known-good stacks
 * (SDM Vol 3A 8.7 "Task Management in 64-bit Mode", 6.14.5 "Interrupt Stack Table").
 */
#include "desc.h"
#include "lib.h"

#define IST_STACK_SIZE 4096

/* SDM Vol 3A 8.7, figure 8-11. */
struct tss64 {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;

static struct tss64 tss;
static u8 ist_stacks[3][IST_STACK_SIZE] __aligned(16);

/*
 * Null, 64-bit code, data, and the 16-byte TSS descriptor (SDM Vol 3A 3.4.5,
 * 8.2.3 figure 8-4). Code: L=1, P, DPL 0, type execute/read. Data: P, writable.
 */
static u64 gdt[5] __aligned(16) = {
	[0] = 0,
	[SEL_CODE64 / 8] = 0x00af9a000000ffffULL,
	[SEL_DATA / 8] = 0x00cf92000000ffffULL,
};

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static u64 tss_desc_low(u64 base, u32 limit)
{
	return (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
	       (0x89ULL << 40) /* P, DPL 0, type 9: available 64-bit TSS */ |
	       ((u64)(limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xffULL) << 56);
}

void gdt_init(void)
{
	u64 base = (u64)&tss;
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (u64)gdt };

	tss.ist[IST_DF - 1] = (u64)ist_stacks[0] + IST_STACK_SIZE;
	tss.ist[IST_NMI - 1] = (u64)ist_stacks[1] + IST_STACK_SIZE;
	tss.ist[IST_MC - 1] = (u64)ist_stacks[2] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss); /* no I/O permission bitmap */

	gdt[SEL_TSS / 8] = tss_desc_low(base, sizeof(tss) - 1);
	gdt[SEL_TSS / 8 + 1] = base >> 32;

	asm volatile("lgdt %0" : : "m"(gdtr));
	/* Reload CS with a far return, then the data segments and the task register. */
	asm volatile("pushq %[cs]\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %[ds], %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "movl %%eax, %%fs\n\t"
		     "movl %%eax, %%gs"
		     : : [cs] "i"(SEL_CODE64), [ds] "i"(SEL_DATA) : "rax", "memory");
	asm volatile("ltr %w0" : : "r"(SEL_TSS));
}
