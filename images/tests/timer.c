// timer: the PIT's counter 0 in mode 2 raises IRQ0 at the programmed rate. Over about
// half a second of TSC time (the rate from CPUID 0x40000001 EBX, docs/CONTRACT.md 6) the
// IRQ0 count must be within 10% of the rate, at 100 Hz and at 1000 Hz. The guest spins
// without exits meanwhile, so the ticks come in on the hypervisor's own time source.
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define INTERVAL_MS 500

static volatile uint32_t ticks;

static void on_tick(struct exception_frame *frame)
{
    (void)frame;
    ticks++;
    pic_eoi(0);
}

// IRQ0s per second at HZ, measured over INTERVAL_MS of TSC time.
static uint32_t measure(unsigned hz, uint32_t khz)
{
    uint64_t cycles = (uint64_t)khz * INTERVAL_MS;

    cli();
    pit_periodic(hz);
    pic_unmask(0);
    sti();
    // Start on a tick, so that the phase of the first one does not count.
    uint32_t t = ticks;
    while (ticks == t)
        asm volatile("pause");
    uint64_t start = rdtsc();
    uint32_t first = ticks;
    while (rdtsc() - start < cycles)
        asm volatile("pause");
    uint32_t counted = ticks - first;
    cli();
    pit_stop();
    return div64_u32((uint64_t)counted * 1000, INTERVAL_MS, 0);
}

// Up to TRIES measurements: an emulator whose host is busy can deschedule the whole machine
// for a few milliseconds, and the ticks due meanwhile are lost (one IRQ0 pending at a time,
// as on a PC): seen at 1000 Hz on QEMU TCG with the host loaded. That is passing; a wrong
// rate is the same every time, so it fails all of them.
#define TRIES 3

static void check_rate(unsigned hz, uint32_t khz)
{
    bool within = false;

    for (int i = 0; i < TRIES && !within; i++) {
        uint32_t measured = measure(hz, khz);

        printf("timer %u Hz: measured %u Hz\n", hz, measured);
        within = measured * 10 >= hz * 9 && measured * 10 <= hz * 11;
    }
    report(hz == 100 ? "timer 100 Hz within 10%" : "timer 1000 Hz within 10%", within);
}

int main(struct multiboot_info *info)
{
    (void)info;
    uint32_t khz = tsc_khz();

    printf("TSC %u kHz\n", khz);
    if (!report("CPUID 0x40000001 EBX gives the TSC rate", khz > 0))
        return report_summary();
    pic_init();
    irq_set_handler(0, on_tick);
    check_rate(100, khz);
    check_rate(1000, khz);
    return report_summary();
}
