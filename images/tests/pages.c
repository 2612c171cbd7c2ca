// pages: guest memory for page deduplication (CONTRACT.md 10, dedup), driven over COM1.
// At start it fills FILLED pages with one pattern (the same in every guest booted with the
// same `seed=`, default 1) and ZEROED pages with zeros, prints "pages: ready", then obeys
// one-letter commands sent on COM1 (the focused guest's), each answered on its console (it
// waits for them halted, woken by IRQ4: a guest polling its UART would exit to the
// hypervisor without pause, and the scan that shares the pages gets the idle CPU):
//   c  check: every filled page still holds the first pattern -> "pages: intact" or
//      "pages: changed at page N" (after its own `w`, a guest sees its write: page 0)
//   w  write: a different pattern, of this guest's own `id=`, into the filled pages (the
//      first write to each, if shared, must give it a copy) -> "pages: written"
//   q  quit: exit with 0
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define COM1 0x3F8
#define UART_RBR 0
#define UART_IER 1
#define UART_MCR 4
#define UART_LSR 5
#define IER_RX_DATA 0x01
#define MCR_DTR_RTS_OUT2 0x0B // OUT2 gates the UART's IRQ on PCs
#define LSR_DATA_READY 0x01
#define RX_RING 16
#define PAGE 4096
#define FILLED 256
#define ZEROED 256

static uint8_t filled[FILLED][PAGE] __attribute__((aligned(PAGE)));
static uint8_t zeroed[ZEROED][PAGE] __attribute__((aligned(PAGE)));

static uint32_t pattern(uint32_t seed, uint32_t page, uint32_t word)
{
    uint32_t x = seed * 2654435761u ^ page * 40503u ^ word * 2246822519u;
    return x ^ (x >> 15);
}

static void fill(uint32_t seed)
{
    for (uint32_t p = 0; p < FILLED; p++)
        for (uint32_t w = 0; w < PAGE / 4; w++)
            ((volatile uint32_t *)filled[p])[w] = pattern(seed, p, w);
}

static int first_changed(uint32_t seed)
{
    for (uint32_t p = 0; p < FILLED; p++)
        for (uint32_t w = 0; w < PAGE / 4; w++)
            if (((volatile uint32_t *)filled[p])[w] != pattern(seed, p, w))
                return (int)p;
    return -1;
}

static volatile char rx[RX_RING];
static volatile unsigned rx_in, rx_out;

static void on_irq4(struct exception_frame *frame)
{
    (void)frame;
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
        char c = inb(COM1 + UART_RBR);

        if (rx_in - rx_out < RX_RING)
            rx[rx_in++ % RX_RING] = c;
    }
    pic_eoi(4);
}

static void rx_init(void)
{
    pic_init();
    irq_set_handler(4, on_irq4);
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY)
        inb(COM1 + UART_RBR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
    outb(COM1 + UART_IER, IER_RX_DATA);
    pic_unmask(4);
}

static char read_command(void)
{
    while (rx_in == rx_out) { // the check and the HLT with interrupts off: no wake-up lost
        sti_hlt();
        cli();
    }
    return rx[rx_out++ % RX_RING];
}

int main(struct multiboot_info *info)
{
    uint32_t seed = 1, id = 0;
    cmdline_number(info, "seed=", &seed);
    cmdline_number(info, "id=", &id);
    rx_init();
    fill(seed);
    for (uint32_t p = 0; p < ZEROED; p++)
        for (uint32_t i = 0; i < PAGE; i++)
            ((volatile uint8_t *)zeroed[p])[i] = 0;
    puts("pages: ready");
    for (;;) {
        char c = read_command();
        if (c == 'c') {
            int at = first_changed(seed); // the first pattern, whatever `w` wrote since
            if (at < 0)
                puts("pages: intact");
            else
                printf("pages: changed at page %d\n", at);
        } else if (c == 'w') {
            fill(0x10000 + id);
            puts("pages: written");
        } else if (c == 'q') {
            return 0;
        }
    }
}
