/*
 * The real I/O APIC (Intel 82093AA datasheet), used for one thing: to turn the PIT's tick
 * into an NMI as well, the way Linux's IO-APIC NMI watchdog did. An NMI is not masked by
 * RFLAGS.IF, so with the SVM NMI intercept (APM Vol 2 15.13) it brings the hypervisor back
 * from a guest in `cli; jmp .` even where the emulator holds INTR masked for such a guest
 * (Bochs evaluates the INTR mask at VMRUN before it enters guest mode).
 */
#include "hostirq.h"
#include "log.h"
#include "x86.h"

#define IOAPIC_BASE 0xfec00000ULL /* the PC default; identity mapped by boot/entry.S */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOREDTBL(pin) (0x10 + 2 * (pin))
#define REDIR_DELIVERY_NMI (4u << 8)
#define PIT_PIN 2 /* ISA IRQ0 is wired to INTIN2 (MP spec 1.4, default configurations) */

static u32 ioapic_read(u32 reg)
{
	*(volatile u32 *)(IOAPIC_BASE + IOREGSEL) = reg;
	return *(volatile u32 *)(IOAPIC_BASE + IOWIN);
}

static void ioapic_write(u32 reg, u32 value)
{
	*(volatile u32 *)(IOAPIC_BASE + IOREGSEL) = reg;
	*(volatile u32 *)(IOAPIC_BASE + IOWIN) = value;
}

void ioapic_pit_nmi(void)
{
	u32 a, b, c, d, ver = ioapic_read(IOAPIC_VER);

	if (ver == 0xffffffff) {
		log_printf("ioapic: none at %#lx: no NMI tick\n", (u64)IOAPIC_BASE);
		return;
	}
	cpuid(1, 0, &a, &b, &c, &d);
	/* Physical destination: this CPU's APIC ID (CPUID.1 EBX[31:24]); edge, active high. */
	ioapic_write(IOREDTBL(PIT_PIN) + 1, (b >> 24) << 24);
	ioapic_write(IOREDTBL(PIT_PIN), REDIR_DELIVERY_NMI);
	log_printf("ioapic: version %#x, PIT tick also delivered as NMI (INTIN%u)\n", ver & 0xff,
		   PIT_PIN);
}
