// shadow: STI's interrupt shadow. With an IRQ pending while IF=0, `sti; mov $1, %eax`
// must take the interrupt after the MOV, not before it (SDM Vol. 2B "STI": interrupts are
// recognized at the boundary after the next instruction), and not later either. The
// handler records the interrupted EIP. Also when the instruction in the shadow exits to
// the hypervisor (an OUT), the interrupt comes right after it. And when the IRQ is one the
// guest raised itself just before (the test device, IRQ 5) rather than the PIT's: then no
// timer interrupt of the hypervisor's own can be what brings the guest's in after the
// shadow (on Bochs a host interrupt pending while the guest has IF=0 exits right after
// it, which hid a hypervisor that never asks for an interrupt window).
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define ROUNDS 50

extern const char shadow_mov[], shadow_after_mov[], shadow_out[], shadow_after_out[];

static volatile uint32_t interrupted_eip;

static void on_tick(struct exception_frame *frame)
{
    interrupted_eip = frame->eip;
    pic_eoi(0);
}

static void on_irq5(struct exception_frame *frame)
{
    interrupted_eip = frame->eip;
    outb(TEST_IRQ_PORT, TEST_IRQ_LOWER | 5);
    pic_eoi(5);
}

// With IF=0, IRQ 5 raised (and held) by the test device: pending at once.
static bool raise_irq5(void)
{
    outb(TEST_IRQ_PORT, TEST_IRQ_RAISE | 5);
    return true;
}

// With IF=0, wait until the PIT's next edge is pending in IRR.
static bool wait_pending(void)
{
    for (int i = 0; i < 1000000; i++)
        if (pic_read_irr() & 1)
            return true;
    return false;
}

static __attribute__((noinline)) void sti_then_mov(void)
{
    asm volatile("sti\n"
                 ".global shadow_mov\nshadow_mov:\n\t"
                 "mov $1, %%eax\n"
                 ".global shadow_after_mov\nshadow_after_mov:\n\t"
                 "nop\n\t"
                 "cli" ::: "eax", "memory");
}

static __attribute__((noinline)) void sti_then_out(void)
{
    asm volatile("sti\n"
                 ".global shadow_out\nshadow_out:\n\t"
                 "outb %%al, $0xe0\n"  // the test device: emulated, so this OUT exits
                 ".global shadow_after_out\nshadow_after_out:\n\t"
                 "nop\n\t"
                 "cli" ::: "eax", "memory");
}

static void run_rounds(const char *name, bool (*make_pending)(void), void (*fn)(void),
                       const char *in_shadow, const char *after)
{
    unsigned inside = 0, right = 0, other = 0;
    uint32_t last_other = 0;

    for (int i = 0; i < ROUNDS; i++) {
        if (!make_pending())
            break;
        interrupted_eip = 0;
        fn();
        if (interrupted_eip == (uint32_t)in_shadow)
            inside++;
        else if (interrupted_eip == (uint32_t)after)
            right++;
        else
            other++, last_other = interrupted_eip;
    }
    printf("shadow %s: %u right after, %u inside the shadow, %u elsewhere (last 0x%x)\n",
           name, right, inside, other, last_other);
    report(name, right == ROUNDS);
}

int main(struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(0, on_tick);
    pit_periodic(1000);
    pic_unmask(0);
    run_rounds("sti; mov: the interrupt comes after the mov", wait_pending, sti_then_mov,
               shadow_mov, shadow_after_mov);
    run_rounds("sti; out (exits): the interrupt comes after the out", wait_pending,
               sti_then_out, shadow_out, shadow_after_out);
    cli();
    pit_stop();
    irq_set_handler(5, on_irq5);
    pic_unmask(5);
    run_rounds("sti; mov, IRQ 5 raised just before: it comes after the mov", raise_irq5,
               sti_then_mov, shadow_mov, shadow_after_mov);
    cli();
    return report_summary();
}
