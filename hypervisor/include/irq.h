/*
 * The guest's interrupts, vendor-neutral (core/irq.c): its 8259 pair, its PIT driven by
 * the hypervisor's TSC time, its i8042 fed by the real keyboard, and the decision, before
 * each VM entry, to inject the PIC's vector or to ask the backend for an interrupt window.
 */
#ifndef IRQ_H
#define IRQ_H

#include "types.h"
#include "vcpu.h"

struct vm;

/* Registers the PIC pair, PIT, port B, i8042 and the test device's IRQ register on the
 * port bus, and connects the real keyboard. */
void irq_platform_init(struct vm *vm);
/* A device model's interrupt line (irq 0-15) went to level. */
void irq_set_line(int irq, int level);
/* Before each VM entry: brings the PIT up to now, injects or asks for a window. */
void irq_before_entry(struct vcpu *v);
/* The guest executed HLT with RFLAGS.IF=1: returns true once an interrupt is pending for
 * it, false at once if none ever can be (every PIC line masked). */
bool irq_wait_for_interrupt(struct vcpu *v);
/* Answers what the lab asked on the log channel since the last exit (core/run.c). */
void run_answer_requests(const struct vcpu *v);

#endif
