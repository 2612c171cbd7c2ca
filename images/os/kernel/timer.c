// The 8254 PIT, channel 0, at TIMER_HZ: it wakes every HLT, so it paces the
// idle loop and every timeout in the kernel.
#include "kernel.h"
#include "trap.h"
#include "x86.h"

#define PIT_CHANNEL0    0x40
#define PIT_COMMAND     0x43
#define PIT_CH0_LOHI_SQUARE_WAVE 0x36   // channel 0, lobyte/hibyte, mode 3, binary
#define PIT_INPUT_HZ    1193182

volatile uint32_t ticks;

void timer_init(void)
{
    uint16_t divisor = (PIT_INPUT_HZ + TIMER_HZ / 2) / TIMER_HZ;
    outb_p(PIT_COMMAND, PIT_CH0_LOHI_SQUARE_WAVE);
    outb_p(PIT_CHANNEL0, divisor & 0xFF);
    outb_p(PIT_CHANNEL0, divisor >> 8);
    pic_unmask(IRQ_TIMER);
}
