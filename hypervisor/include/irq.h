/*
 * The guest's interrupts, vendor-neutral (core/irq.c): its 8259 pair, its PIT driven by
 * the hypervisor's TSC time, its i8042 fed by the real keyboard, and the decision, before
 * each VM entry, to inject the PIC's vector or to ask the backend for an interrupt window.
 */
#ifndef IRQ_H
#define IRQ_H

#include "hostirq.h"
#include "irqline.h"
#include "portbus.h"
#include "types.h"
#include "vcpu.h"
#include "vm.h"

/* Sets up the guest's PIC pair, PIT, i8042 and the test device's IRQ register, and adds
 * their ports to ports[*n] (for core/platform.c to put on the bus). */
void irq_devices_init(struct vm *vm, struct port_device *ports, int *n);
/* The PIC masks and the ticking PIT a PC's BIOS leaves (`bios`, core/firmware.c). */
void irq_bios_state(struct vm *vm, u8 master_imr, u8 slave_imr);
/* The guest's PIC input irq (0-15) went to level; vm is the struct vm. */
void irq_set_line(void *vm, int irq, int level);
/* The line a device model drives to reach the guest's PIC input irq. */
struct irq_line irq_line_of(struct vm *vm, int irq);
/* Brings the PIT up to now, injects the PIC's interrupt or asks for a window. */
void irq_deliver(struct vcpu *v);

/* Before each VM entry. The common exit changes nothing here: no PIT edge due (the TSC is
 * compared, not the time in ns: no division), none owed, no glitch, no window to turn off,
 * no request in the master PIC (the slave's reach it on IR2). All of that is one
 * comparison with irq_check_tsc, inline; the rest is irq_deliver's. */
static inline void irq_before_entry(struct vcpu *v)
{
	if (rdtsc() >= v->vm->dev.irq_check_tsc)
		irq_deliver(v);
}
/* Could an interrupt still reach the halted guest: false with every PIC line masked. */
bool irq_can_wake(struct vm *vm);
/* Has the guest's PIC an interrupt for it now (its PIT brought up to now first)? */
bool irq_pending(struct vm *vm);
/* Answers what the lab asked on the log channel since the last exit (core/sched.c). */
void run_answer_requests(void);
/* Set when the lab or the keyboard asked for something run_answer_requests answers. */
extern volatile bool lab_requests;

#endif
