// cpushare: the share of the CPU this guest gets, measured from inside (CONTRACT.md 10,
// scheduling). It reads the TSC in a tight loop; a gap longer than GAP_US between two
// readings is time something else had the CPU (another guest, or the hypervisor). Over a
// window of `window=MS` (default 2000 ms of TSC time) it adds up the time it ran, prints
// "cpushare: permille=N", then spins one more window, so that a guest measuring beside it
// is never left alone early, and exits with 0. With `mode=idle` it only halts, woken by a
// 100 Hz timer (an idle guest, not a stopped one), for two windows, then exits with 0.
// The TSC rate is the hypervisor's (CPUID 0x40000001 EBX); without it there is no measure.
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define GAP_US 200   // far above a timer exit in the guest's own slice, far below a slice

static volatile unsigned ticks;

static void on_tick(struct exception_frame *frame)
{
    (void)frame;
    ticks++;
    pic_eoi(0);
}

static void idle(uint64_t cycles)
{
    pic_init();
    irq_set_handler(0, on_tick);
    pit_periodic(100);
    pic_unmask(0);
    uint64_t end = rdtsc() + cycles;
    while (rdtsc() < end) {
        sti_hlt();
        cli();
    }
    printf("cpushare: idle, %u ticks\n", ticks);
}

int main(struct multiboot_info *info)
{
    uint32_t khz = tsc_khz(), window_ms = 2000;
    cmdline_number(info, "window=", &window_ms);
    if (khz == 0) {
        puts("cpushare: no TSC rate from the hypervisor (CPUID 0x40000001 EBX)");
        return 1;
    }
    uint64_t window = (uint64_t)window_ms * khz;
    uint64_t gap = div64_u32((uint64_t)GAP_US * khz, 1000, 0);
    const char *mode = cmdline_value(info, "mode=");
    if (mode && strncmp(mode, "idle", 4) == 0) {
        idle(2 * window);
        return 0;
    }
    uint64_t start = rdtsc(), last = start, ran = 0;
    while (last - start < window) {
        uint64_t now = rdtsc();
        if (now - last < gap)
            ran += now - last;
        last = now;
    }
    // in units of 1024 cycles, so that the divisor fits 32 bits (a window is a few 10^9)
    uint32_t permille = (uint32_t)div64_u32((ran >> 10) * 1000,
                                            (uint32_t)((last - start) >> 10), 0);
    printf("cpushare: permille=%u\n", permille);
    console_flush();
    uint64_t end = rdtsc() + window;
    while (rdtsc() < end)
        asm volatile("pause");
    return 0;
}
