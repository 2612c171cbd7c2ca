/* The hypervisor's own driver for the real 16550 UARTs (not the guest's model). */
#ifndef UART_H
#define UART_H

#include "types.h"

#define COM1_PORT 0x3f8 /* guest console (CONTRACT.md 3) */
#define COM2_PORT 0x2f8 /* hypervisor log */

void uart_init(u16 base);
void uart_putc(u16 base, char c);
void uart_wait_idle(u16 base);
/* Hands each byte the real COM1 receives to sink, from its IRQ4 (drivers/uart.c). */
void uart_com1_rx_init(void (*sink)(u8 byte));
/* The same for the real COM2 (the lab's requests, CONTRACT.md 3), from its IRQ3. */
void uart_com2_rx_init(void (*sink)(u8 byte));

#endif
