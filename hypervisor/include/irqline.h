/*
 * An interrupt line as a device model drives it (KVM's kvm_set_irq): the interrupt
 * controller's input function, the controller, and the line's number. Every model with an
 * interrupt takes one of these; one whose `set` is NULL is wired to nothing.
 */
#ifndef IRQLINE_H
#define IRQLINE_H

#include "types.h"

struct irq_line {
	void (*set)(void *ctx, int irq, int level);
	void *ctx;
	int irq;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line->set)
		line->set(line->ctx, line->irq, level);
}

#endif
