// irqmask: OCW1 masks. A masked IRQ is not delivered, its edge stays latched in IRR, and
// once unmasked it is delivered (8259A datasheet, "Interrupt Mask Register"; SWEB.md:
// edges that arrive while masked stay pending). For IRQ0 from the PIT on the master, and
// for IRQ10, raised through the test device's port 0xE8, on the slave.
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

static volatile uint32_t count[IRQ_LINES];

static void counting_handler(struct exception_frame *frame)
{
    unsigned irq = frame->vector - IRQ_VECTOR_BASE;

    count[irq]++;
    pic_eoi(irq);
}

static void check_irq0(void)
{
    cli();
    pit_periodic(1000);
    pic_set_mask(0xFFFF);
    sti();
    delay_us(20000);        // 20 ticks' worth, all masked
    cli();
    report("masked IRQ0 is not delivered", count[0] == 0);
    report("the masked IRQ0 edge is latched in IRR", pic_read_irr() & 1);
    pic_unmask(0);
    report("unmasking with IF=0 delivers nothing yet", count[0] == 0);
    asm volatile("sti; nop; nop; cli" ::: "memory");
    report("the latched IRQ0 is delivered as soon as IF=1", count[0] >= 1);
    sti();
    delay_us(20000);
    cli();
    pit_stop();
    printf("irqmask: %u IRQ0s after unmasking\n", count[0]);
    report("unmasked IRQ0 keeps coming", count[0] > 5);
}

static void check_slave(void)
{
    cli();
    pic_set_mask(0xFFFF & ~(1u << PIC_CASCADE));
    outb(TEST_IRQ_PORT, 10);
    sti();
    delay_us(1000);
    cli();
    report("masked IRQ10 on the slave is not delivered", count[10] == 0);
    report("the masked IRQ10 edge is latched in the slave's IRR", pic_read_irr() & 1u << 10);
    pic_unmask(10);
    asm volatile("sti; nop; nop; cli" ::: "memory");
    report("IRQ10 is delivered once unmasked", count[10] == 1);
    pic_set_mask(0xFFFF & ~(1u << 10));
    outb(TEST_IRQ_PORT, 10);
    asm volatile("sti; nop; nop; cli" ::: "memory");
    report("masking the cascade (IRQ2) holds back the slave's IRQ10", count[10] == 1);
    pic_unmask(10);
    asm volatile("sti; nop; nop; cli" ::: "memory");
    report("unmasking the cascade lets IRQ10 through", count[10] == 2);
}

int main(struct multiboot_info *info)
{
    (void)info;
    if (!report("the hypervisor gives the TSC rate", tsc_khz() > 0))
        return report_summary();
    pic_init();
    for (unsigned irq = 0; irq < IRQ_LINES; irq++)
        irq_set_handler(irq, counting_handler);
    check_irq0();
    check_slave();
    return report_summary();
}
