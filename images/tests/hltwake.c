// hltwake: `sti; hlt` with the PIT at 100 Hz wakes on each IRQ0, and the wait lasts about
// a tick: the hypervisor must wait for the guest's timer, not return at once or never.
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define HZ     100
#define WAKES  20

static volatile uint32_t ticks;

static void on_tick(struct exception_frame *frame)
{
    (void)frame;
    ticks++;
    pic_eoi(0);
}

int main(struct multiboot_info *info)
{
    (void)info;
    uint32_t khz = tsc_khz();
    unsigned woken_by_tick = 0;

    pic_init();
    irq_set_handler(0, on_tick);
    pit_periodic(HZ);
    pic_unmask(0);
    sti_hlt();              // line up with a tick
    cli();
    uint64_t start = rdtsc();
    for (int i = 0; i < WAKES; i++) {
        uint32_t before = ticks;
        sti_hlt();
        cli();
        if (ticks == before + 1)
            woken_by_tick++;
    }
    uint64_t elapsed = rdtsc() - start;
    pit_stop();
    report("every sti; hlt woke up on exactly one IRQ0", woken_by_tick == WAKES);
    if (khz) {
        uint32_t ms = div64_u32(elapsed, khz, 0);
        printf("hltwake: %u wakes in %u ms\n", WAKES, ms);
        // 20 ticks at 100 Hz: 200 ms; generous bounds for slow emulators' jitter.
        report("the halts lasted about a tick each", ms >= 150 && ms <= 260);
    } else {
        report_skip("the halts lasted about a tick each", "no TSC rate from CPUID");
    }
    return report_summary();
}
