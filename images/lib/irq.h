// Interrupts from the (virtual) 8259 pair and the 8254 PIT, for the milestone 3 guests.
// The PIC is set up with SWEB's words (master 0x11, 0x20, 0x04, 0x01; slave 0x11, 0x28,
// 0x02, 0x01), so IRQ N arrives at vector 0x20 + N. References: Intel 8259A datasheet
// (231468), Intel 8254 datasheet (231164).
#ifndef IRQ_H
#define IRQ_H

#include <stdbool.h>
#include <stdint.h>
#include "exception.h"

#define IRQ_VECTOR_BASE 0x20
#define IRQ_LINES       16
#define PIC_MASTER_CMD  0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD   0xA0
#define PIC_SLAVE_DATA  0xA1
#define PIC_EOI         0x20    // OCW2 non-specific EOI
#define PIC_SPECIFIC_EOI 0x60   // OCW2 specific EOI, | level
#define PIC_CASCADE     2

// The lab's test device can raise any IRQ line (docs/CONTRACT.md section 6, port 0xE8):
// N pulses IRQ N, 0x20|N raises it, 0x40|N lowers it, 0x80 is a request too short to
// be acknowledged (the guest then gets the master's spurious IR7 vector).
#define TEST_IRQ_PORT   0xE8
#define TEST_IRQ_RAISE  0x20
#define TEST_IRQ_LOWER  0x40
#define TEST_IRQ_GLITCH 0x80

typedef void (*irq_handler_t)(struct exception_frame *frame);

// FN runs for IRQ (0-15) with interrupts off; it sends its own EOI. An IRQ without a
// handler is a test failure.
void irq_set_handler(unsigned irq, irq_handler_t fn);
void irq_dispatch(struct exception_frame *frame);   // from exception_dispatch

// ICW1-ICW4 as SWEB writes them; then every line masked (OCW1 0xFF on both).
void pic_init(void);
// OCW1: bit N set masks IRQ N (bits 8-15: the slave).
void pic_set_mask(uint16_t mask);
uint16_t pic_get_mask(void);
void pic_unmask(unsigned irq);  // a slave IRQ unmasks the cascade (IRQ2) too
void pic_mask(unsigned irq);
// Non-specific EOI: the slave first for IRQ 8-15, then the master.
void pic_eoi(unsigned irq);
// Specific EOI (OCW2 0x60 | level): the slave's level and the master's IR2 for IRQ 8-15.
void pic_specific_eoi(unsigned irq);
// OCW3 reads: bits 0-7 the master's register, 8-15 the slave's.
uint16_t pic_read_irr(void);
uint16_t pic_read_isr(void);

static inline void sti(void) { asm volatile("sti" ::: "memory"); }
static inline void cli(void) { asm volatile("cli" ::: "memory"); }
// STI's shadow covers the HLT: an interrupt pending already wakes it (SDM Vol. 2B "STI").
static inline void sti_hlt(void) { asm volatile("sti; hlt" ::: "memory"); }

// The PIT's counter 0 as a rate generator (mode 2) at about HZ interrupts per second.
void pit_periodic(unsigned hz);
// Counter 0 in mode 0 with the longest count, then IRQ0 masked: no more ticks.
void pit_stop(void);

// The TSC rate the hypervisor measured (CPUID 0x40000001 EBX, docs/CONTRACT.md 6), or 0.
uint32_t tsc_khz(void);
// Busy-waits US microseconds by the TSC (needs tsc_khz() != 0; returns at once else).
void delay_us(uint32_t us);

#endif
