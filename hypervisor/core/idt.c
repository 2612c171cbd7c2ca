/*
 * The IDT: 32 exception vectors, all fatal, and the 16 vectors of the real 8259 pair
 * (HOST_IRQ_VECTOR, 0x20-0x2F), which go to drivers/i8259.c. On an unexpected exception
 * the handler dumps the machine state to the log and ends the run with code 2.
 */
#include "desc.h"
#include "hostirq.h"
#include "log.h"
#include "run_end.h"
#include "x86.h"

#define NR_EXCEPTIONS 32
#define NR_VECTORS (HOST_IRQ_VECTOR + HOST_IRQS)

/* A 64-bit interrupt gate (SDM Vol 3A 6.14.1, figure 6-8). */
struct idt_gate {
	u16 offset_low;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_high;
	u32 reserved;
} __packed;

#define GATE_INTERRUPT 0x8e /* P, DPL 0, type 0xE: interrupts off on entry */

extern const u64 trap_entries[NR_VECTORS]; /* core/traps.S */

extern const struct extable_entry __extable_start[], __extable_end[]; /* link.ld */

static struct idt_gate idt[NR_VECTORS] __aligned(16);
volatile u64 host_nmis;

/* SDM Vol 3A table 6-1; 21 #CP, 28-30 from AMD's APM Vol 2 8.2. */
static const char *const exception_names[NR_EXCEPTIONS] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range exceeded",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack-segment fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[15] = "reserved",
	[16] = "#MF x87 floating-point error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating-point",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
	[22 ... 27] = "reserved",
	[28] = "#HV hypervisor injection",
	[29] = "#VC VMM communication",
	[30] = "#SX security exception",
	[31] = "reserved",
};

static void set_gate(int vec, u64 handler, u8 ist)
{
	idt[vec] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = SEL_CODE64,
		.ist = ist,
		.type_attr = GATE_INTERRUPT,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

void idt_init(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed idtr = { sizeof(idt) - 1, (u64)idt };

	for (int v = 0; v < NR_VECTORS; v++)
		set_gate(v, trap_entries[v], 0);
	set_gate(2, trap_entries[2], IST_NMI);
	set_gate(8, trap_entries[8], IST_DF);
	set_gate(18, trap_entries[18], IST_MC);
	asm volatile("lidt %0" : : "m"(idtr));
}

/* An expected fault (rdmsr_safe and the like): resume at its fixup. */
static bool fixup_exception(struct trap_frame *tf)
{
	for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
		if (e->insn == tf->rip) {
			tf->rip = e->fixup;
			return true;
		}
	return false;
}

void trap_handler(struct trap_frame *tf)
{
	static int depth;
	const char *name = tf->vector < NR_EXCEPTIONS ? exception_names[tf->vector] : "?";

	if (tf->vector >= HOST_IRQ_VECTOR && tf->vector < NR_VECTORS) {
		hostirq_dispatch(tf->vector - HOST_IRQ_VECTOR);
		return;
	}
	if (tf->vector == 13 && fixup_exception(tf))
		return;
	/* NMIs come from the I/O APIC's tick route (drivers/ioapic.c): only counted. */
	if (tf->vector == 2) {
		host_nmis++;
		return;
	}
	if (++depth > 1) {
		/* A fault while dumping: say the least that helps, then stop. */
		log_printf("panic: nested exception %lu at rip=%016lx\n", tf->vector, tf->rip);
		run_end(END_PANIC);
	}
	log_printf("panic: unexpected exception %lu (%s) error_code=%#lx\n", tf->vector, name,
		   tf->error_code);
	log_printf("  rip=%016lx cs=%04lx rflags=%016lx\n", tf->rip, tf->cs, tf->rflags);
	log_printf("  rsp=%016lx ss=%04lx cr2=%016lx cr3=%016lx\n", tf->rsp, tf->ss, read_cr2(),
		   read_cr3());
	log_printf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", tf->rax, tf->rbx, tf->rcx,
		   tf->rdx);
	log_printf("  rsi=%016lx rdi=%016lx rbp=%016lx\n", tf->rsi, tf->rdi, tf->rbp);
	log_printf("  r8=%016lx  r9=%016lx  r10=%016lx r11=%016lx\n", tf->r8, tf->r9, tf->r10,
		   tf->r11);
	log_printf("  r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", tf->r12, tf->r13, tf->r14,
		   tf->r15);
	run_end(END_PANIC);
}
