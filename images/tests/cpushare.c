// cpushare: the share of the CPU this guest gets, measured from inside (CONTRACT.md 10,
// scheduling). Busy (the default), it counts rounds of a fixed piece of work in each of
// `windows=N` windows (default 1) of `window=MS` of TSC time (default 2000 ms), printing
// "cpushare: work=N" for each, then spins one more window, so that a guest measuring beside
// it is never left alone early, and exits with 0. Two busy guests side by side get the CPU
// in the ratio of their counts; this holds on every platform (Bochs' TSC counts
// instructions, QEMU's follows the host clock). With `mode=idle` it halts for one window,
// woken by a 100 Hz timer, adds up the TSC time it is awake (from each wake-up to its next
// HLT), prints "cpushare: idle awake permille=N" (the share of the time it used), and
// exits with 0. With `mode=flood` it writes its console (port 0xE9, REP OUTSB of `kib=N` KiB
// at a time, default and most 64) for one window, prints "cpushare: flooded N KiB" and exits
// with 0: a guest beside it must still get its share.
// The TSC rate is the hypervisor's (CPUID 0x40000001 EBX); without it there is no measure.
#include "console.h"
#include "cpu.h"
#include "div64.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define WORK_ROUND 1000 // iterations of the work between two TSC readings

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
    uint64_t start = rdtsc(), end = start + cycles, awake = 0, woke = start;
    while (woke < end) {
        uint64_t now = rdtsc();
        awake += now - woke;
        sti_hlt();
        cli();
        woke = rdtsc();
    }
    uint32_t permille = (uint32_t)div64_u32((awake >> 10) * 1000,
                                            (uint32_t)((woke - start) >> 10), 0);
    printf("cpushare: idle awake permille=%u, %u ticks\n", permille, ticks);
}

static uint32_t work(uint64_t cycles)
{
    uint64_t end = rdtsc() + cycles;
    volatile uint32_t sink = 0;
    uint32_t rounds = 0;

    while (rdtsc() < end) {
        for (unsigned i = 0; i < WORK_ROUND; i++)
            sink += i;
        rounds++;
    }
    return rounds;
}

static void flood(uint64_t cycles, uint32_t chunk_kib)
{
    static char block[65536];
    uint64_t end = rdtsc() + cycles;
    uint32_t kib = 0;

    if (chunk_kib == 0 || chunk_kib > sizeof(block) / 1024)
        chunk_kib = sizeof(block) / 1024;
    for (unsigned k = 0; k < sizeof(block); k++)
        block[k] = k % 64 == 63 ? '\n' : 'F';
    while (rdtsc() < end) {
        const char *from = block;
        uint32_t count = chunk_kib * 1024;
        asm volatile("cld; rep outsb" : "+S"(from), "+c"(count) : "d"(0xE9) : "memory");
        kib += chunk_kib;
    }
    printf("cpushare: flooded %u KiB\n", kib);
}

int main(struct multiboot_info *info)
{
    uint32_t khz = tsc_khz(), window_ms = 2000, windows = 1;
    cmdline_number(info, "window=", &window_ms);
    cmdline_number(info, "windows=", &windows);
    if (khz == 0) {
        puts("cpushare: no TSC rate from the hypervisor (CPUID 0x40000001 EBX)");
        return 1;
    }
    uint64_t window = (uint64_t)window_ms * khz;
    const char *mode = cmdline_value(info, "mode=");
    if (mode && strncmp(mode, "idle", 4) == 0) {
        idle(window);
        return 0;
    }
    if (mode && strncmp(mode, "flood", 5) == 0) {
        uint32_t chunk_kib = 64;
        cmdline_number(info, "kib=", &chunk_kib);
        flood(window, chunk_kib);
        return 0;
    }
    for (uint32_t i = 0; i < windows; i++) {
        printf("cpushare: work=%u\n", work(window));
        console_flush();
    }
    uint64_t end = rdtsc() + window;
    while (rdtsc() < end)
        asm volatile("pause");
    return 0;
}
