// A 16550 UART at COM1, driven by polling (no interrupts are ever enabled).
#include "console.h"
#include "io.h"
#include "string.h"

#define COM1            0x3F8
#define UART_DATA       0       // THR on write (DLAB = 0)
#define UART_DIVISOR_LO 0       // DLL (DLAB = 1)
#define UART_IER        1       // interrupt enable; DLM when DLAB = 1
#define UART_FCR        2
#define UART_LCR        3
#define UART_MCR        4
#define UART_LSR        5

#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define FCR_ENABLE_AND_CLEAR 0x07
#define MCR_DTR_RTS     0x03
#define LSR_THR_EMPTY   0x20    // room for the next byte
#define LSR_TX_IDLE     0x40    // holding and shift registers both empty

// A virtual UART that never says "ready" must not hang a test forever:
// after this many polls we write anyway.
#define POLL_LIMIT      1000000

void console_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DIVISOR_LO, 1);    // 115200 / 1 = 115200 baud
    outb(COM1 + UART_IER, 0);           // divisor high byte
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_AND_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

static void wait_for_lsr(uint8_t bits)
{
    for (int i = 0; i < POLL_LIMIT; i++)
        if ((inb(COM1 + UART_LSR) & bits) == bits)
            return;
}

void console_putc(char c)
{
    wait_for_lsr(LSR_THR_EMPTY);
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void console_write(const char *s, unsigned len)
{
    while (len--)
        console_putc(*s++);
}

void console_flush(void)
{
    wait_for_lsr(LSR_TX_IDLE);
}

int puts(const char *s)
{
    console_write(s, strlen(s));
    console_putc('\n');
    return 0;
}
