/*
 * Virtual 8259A PIC pair (master 0x20/0x21, slave 0xA0/0xA1, slave on master IR2), after
 * KVM's i8259.c and Xen's vpic.c. References are to the Intel 8259A datasheet (231468).
 * The model knows nothing of VMX or SVM: the core feeds it IRQ line levels, asks whether INT
 * is asserted, and runs the INTA cycle with pic_ack() when it injects the vector.
 */
#ifndef PIC_H
#define PIC_H

#include "types.h"
#include "portbus.h"

#define PIC_MASTER_BASE 0x20
#define PIC_SLAVE_BASE 0xA0
#define PIC_CASCADE_IRQ 2

struct pic_chip {
	bool is_master;
	u8 lines;		/* input pin levels, for the edge detector */
	u8 irr, isr, imr;
	u8 priority_add;	/* IR (priority_add) has the highest priority */
	u8 vector_base;		/* ICW2 T7-T3 */
	u8 icw3;		/* master: which IRs have slaves; slave: its ID */
	u8 init_step;		/* 0: operational, else the ICW expected next (2, 3, 4) */
	bool icw4_needed, single, level_triggered;
	bool auto_eoi, rotate_on_aeoi, mode_8086, special_fully_nested;
	bool read_isr;		/* OCW3 RR/RIS: read ISR (else IRR) at the base port */
	bool poll;		/* OCW3 P: the next read is a poll */
	bool special_mask;
};

struct pic_pair {
	struct pic_chip chip[2];	/* [0] master, [1] slave */
};

void pic_init(struct pic_pair *p);
/* irq 0-15; level 1 or 0. In edge mode a 0 -> 1 transition latches the request in IRR. */
void pic_set_irq(struct pic_pair *p, int irq, int level);
/* The master's INT output: an unmasked request outranks everything in service. */
bool pic_has_interrupt(struct pic_pair *p);

/* No unmasked request in the master's IRR (a slave's reaches it through the cascade IR):
 * then pic_has_interrupt() is false. Cheap enough for every VM entry. */
static inline bool pic_quiet(const struct pic_pair *p)
{
	return !(p->chip[0].irr & ~p->chip[0].imr);
}
/* Could a line still raise INT: is any reachable through the masks? With every line
 * masked (the slave's count only through an unmasked cascade IR2), none can. */
bool pic_any_line_open(const struct pic_pair *p);
/* The master's IMR has the line's bit set; the master's IRR holds a request on it. */
bool pic_line_masked(const struct pic_pair *p, int irq);
bool pic_line_latched(const struct pic_pair *p, int irq);
/* The INTA cycle: returns the vector and updates IRR/ISR (spurious IR7/IR15 if none). */
int pic_ack(struct pic_pair *p);

/* Port glue. */
u32 pic_port_read(void *state, u16 port, u8 size);
void pic_port_write(void *state, u16 port, u8 size, u32 value);
struct port_device pic_master_dev(struct pic_pair *p);
struct port_device pic_slave_dev(struct pic_pair *p);

#endif
