/*
 * The real 8254 PIT (Intel 8254 datasheet 231164): channel 2 measures the TSC at boot,
 * channel 0 then ticks at HOST_TICK_HZ on IRQ0. The tick is what brings the hypervisor
 * back while the guest runs without exits, and what wakes it while the guest halts.
 */
#include "hostirq.h"
#include "log.h"
#include "run_end.h"
#include "x86.h"

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_CMD_CH0_MODE2 0x34 /* counter 0, lobyte/hibyte, mode 2 rate generator */
#define PIT_CMD_CH2_MODE0 0xb0 /* counter 2, lobyte/hibyte, mode 0 terminal count */
#define PIT_HZ 1193182ULL
#define CALIBRATE_MS 50
#define CALIBRATE_SPIN_LIMIT 500000000ULL

u64 tsc_khz;
volatile u64 host_ticks;
static u64 tsc_start;

/*
 * Mode 0 with the gate high counts down once; OUT2 (port B bit 5) rises at terminal
 * count. The TSC cycles across that interval give its rate (as Linux's pit_calibrate_tsc).
 */
static u64 calibrate_tsc(void)
{
	u16 latch = PIT_HZ * CALIBRATE_MS / 1000;
	u64 t0, t1, spins = 0;

	outb(PORT_B, (inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);
	outb(PIT_CH2, latch & 0xff);
	outb(PIT_CH2, latch >> 8);
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2))
		if (++spins > CALIBRATE_SPIN_LIMIT)
			return 0;
	t1 = rdtsc();
	/* latch / PIT_HZ seconds passed: kHz = cycles / (latch / PIT_HZ) / 1000. */
	return (t1 - t0) * PIT_HZ / ((u64)latch * 1000);
}

static void timer_irq(void)
{
	host_ticks++;
}

void timer_init(void)
{
	u16 divisor = (PIT_HZ + HOST_TICK_HZ / 2) / HOST_TICK_HZ;

	tsc_khz = calibrate_tsc();
	if (!tsc_khz)
		panic("timer: the PIT's OUT2 never rose: cannot calibrate the TSC");
	tsc_start = rdtsc();
	log_printf("timer: TSC %lu kHz (measured against the PIT over %u ms)\n", tsc_khz,
		   CALIBRATE_MS);
	outb(PIT_CMD, PIT_CMD_CH0_MODE2);
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
	hostirq_register(HOST_IRQ_TIMER, timer_irq);
	log_printf("timer: real PIT channel 0 at %lu Hz on IRQ0\n", (u64)(PIT_HZ / divisor));
}

u64 time_ns(void)
{
	return tsc_to_ns(rdtsc());
}

u64 ns_to_tsc(u64 ns)
{
	/* Rounded up: at that TSC value time_ns() has reached ns. Split as in tsc_to_ns. */
	return tsc_start + ns / 1000000 * tsc_khz + (ns % 1000000 * tsc_khz + 999999) / 1000000;
}

u64 tsc_to_ns(u64 tsc)
{
	u64 d = tsc - tsc_start;

	/* Split so that d * 1000000 cannot overflow. */
	return d / tsc_khz * 1000000 + d % tsc_khz * 1000000 / tsc_khz;
}
