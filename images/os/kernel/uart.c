// COM1, a 16550 UART at 115200 8N1. Output is polled; input arrives by IRQ 4
// and is also polled from the idle loop (console.c), whichever comes first.
#include "kernel.h"
#include "trap.h"
#include "x86.h"

#define COM1            0x3F8
#define UART_DATA       0       // RBR/THR; the divisor's low byte when DLAB = 1
#define UART_IER        1       // interrupt enable; the divisor's high byte when DLAB = 1
#define UART_FCR        2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5

#define IER_RX_AVAILABLE 0x01
#define FCR_ENABLE_CLEAR 0x07
#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define MCR_DTR_RTS_OUT2 0x0B   // OUT2 gates the UART's interrupt line on PCs
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define LSR_TX_IDLE     0x40

// A UART that never reports "ready" (or none at all) must not hang the
// kernel: after this many polls we write anyway.
#define POLL_LIMIT      100000

void uart_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1);          // 115200 / 1
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
    outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

static void wait_lsr(uint8_t bits)
{
    for (int i = 0; i < POLL_LIMIT; i++)
        if ((inb(COM1 + UART_LSR) & bits) == bits)
            return;
}

void uart_putc(char c)
{
    wait_lsr(LSR_THR_EMPTY);
    outb(COM1 + UART_DATA, (uint8_t)c);
}

// Wait until the last byte has left the shift register, so that a power-off
// right after does not cut it.
void uart_drain(void)
{
    wait_lsr(LSR_TX_IDLE);
}

// Called with interrupts off: by the IRQ 4 handler and by console_getc.
// An absent UART reads 0xFF everywhere, so a bounded loop stops it flooding us.
void uart_poll_input(void)
{
    for (int i = 0; i < 64 && (inb(COM1 + UART_LSR) & LSR_DATA_READY); i++)
        console_input((char)inb(COM1 + UART_DATA));
}
