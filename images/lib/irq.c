#include "irq.h"
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "exit.h"
#include "hv.h"
#include "io.h"

#define ICW1_INIT_ICW4  0x11    // edge triggered, cascade mode, ICW4 follows
#define ICW4_8086       0x01
#define OCW3_READ_IRR   0x0A
#define OCW3_READ_ISR   0x0B
#define PIT_CH0         0x40
#define PIT_CMD         0x43
#define PIT_CH0_MODE2   0x34    // counter 0, lobyte then hibyte, mode 2, binary
#define PIT_CH0_MODE0   0x30    // counter 0, lobyte then hibyte, mode 0, binary
#define PIT_HZ          1193182u

static irq_handler_t handlers[IRQ_LINES];

void irq_set_handler(unsigned irq, irq_handler_t fn)
{
    handlers[irq] = fn;
}

void irq_dispatch(struct exception_frame *frame)
{
    unsigned irq = frame->vector - IRQ_VECTOR_BASE;

    if (irq < IRQ_LINES && handlers[irq]) {
        handlers[irq](frame);
        return;
    }
    printf("FAIL: unexpected interrupt vector 0x%x at EIP=0x%08x\n", frame->vector,
           frame->eip);
    exit(1);
}

void pic_init(void)
{
    outb(PIC_MASTER_CMD, ICW1_INIT_ICW4);
    outb(PIC_SLAVE_CMD, ICW1_INIT_ICW4);
    outb(PIC_MASTER_DATA, IRQ_VECTOR_BASE);      // ICW2: vectors 0x20-0x27
    outb(PIC_SLAVE_DATA, IRQ_VECTOR_BASE + 8);   // ICW2: vectors 0x28-0x2F
    outb(PIC_MASTER_DATA, 1 << PIC_CASCADE);     // ICW3: a slave on IR2
    outb(PIC_SLAVE_DATA, PIC_CASCADE);           // ICW3: slave ID 2
    outb(PIC_MASTER_DATA, ICW4_8086);
    outb(PIC_SLAVE_DATA, ICW4_8086);
    pic_set_mask(0xFFFF);
}

void pic_set_mask(uint16_t mask)
{
    outb(PIC_MASTER_DATA, mask & 0xFF);
    outb(PIC_SLAVE_DATA, mask >> 8);
}

uint16_t pic_get_mask(void)
{
    return inb(PIC_MASTER_DATA) | inb(PIC_SLAVE_DATA) << 8;
}

void pic_unmask(unsigned irq)
{
    uint16_t mask = pic_get_mask() & ~(1u << irq);

    if (irq >= 8)
        mask &= ~(1u << PIC_CASCADE);
    pic_set_mask(mask);
}

void pic_mask(unsigned irq)
{
    pic_set_mask(pic_get_mask() | 1u << irq);
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC_SLAVE_CMD, PIC_EOI);
    outb(PIC_MASTER_CMD, PIC_EOI);
}

void pic_specific_eoi(unsigned irq)
{
    if (irq >= 8) {
        outb(PIC_SLAVE_CMD, PIC_SPECIFIC_EOI | (irq & 7));
        outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | PIC_CASCADE);
    } else {
        outb(PIC_MASTER_CMD, PIC_SPECIFIC_EOI | irq);
    }
}

static uint16_t read_both(uint8_t ocw3)
{
    outb(PIC_MASTER_CMD, ocw3);
    outb(PIC_SLAVE_CMD, ocw3);
    return inb(PIC_MASTER_CMD) | inb(PIC_SLAVE_CMD) << 8;
}

uint16_t pic_read_irr(void)
{
    return read_both(OCW3_READ_IRR);
}

uint16_t pic_read_isr(void)
{
    return read_both(OCW3_READ_ISR);
}

void pit_periodic(unsigned hz)
{
    uint32_t divisor = (PIT_HZ + hz / 2) / hz;

    outb(PIT_CMD, PIT_CH0_MODE2);
    outb(PIT_CH0, divisor & 0xFF);
    outb(PIT_CH0, divisor >> 8);
}

void pit_stop(void)
{
    pic_mask(0);
    outb(PIT_CMD, PIT_CH0_MODE0);
    outb(PIT_CH0, 0);
    outb(PIT_CH0, 0);
}

uint32_t tsc_khz(void)
{
    if (!hv_present() || cpuid(CPUID_HV_INFO).eax < CPUID_HV_HYPERCALL)
        return 0;
    return cpuid(CPUID_HV_HYPERCALL).ebx;
}

void delay_us(uint32_t us)
{
    static uint32_t khz;

    if (!khz)
        khz = tsc_khz();
    uint64_t end = rdtsc() + div64_u32((uint64_t)us * khz, 1000, 0);
    while (rdtsc() < end)
        asm volatile("pause");
}
