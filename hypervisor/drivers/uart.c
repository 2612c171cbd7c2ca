/*
 * The hypervisor's own polled driver for the real 16550 UARTs, COM1 and COM2.
 * Registers and bits: National Semiconductor PC16550D datasheet.
 */
#include "hostirq.h"
#include "log.h"
#include "uart.h"
#include "x86.h"

#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1 /* interrupt enable (DLAB=0) */
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define FCR_ENABLE_FIFO 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT2 0x08 /* on PCs, gates the UART's interrupt onto the ISA IRQ line */
#define IER_RX_DATA 0x01
#define UART_RBR 0
#define LSR_DATA_READY 0x01
#define LSR_THRE 0x20 /* transmit holding register empty: room for a byte */
#define LSR_TEMT 0x40 /* transmitter empty: every byte is on the wire */

#define UART_CLOCK_DIVISOR 1 /* 1.8432 MHz / 16 / 1 = 115200 baud */

/*
 * Bounded waits: a missing UART reads 0xff (both bits set), but a wedged one must
 * not hang the run. Bochs' UART follows emulated time, about 87 us per byte at
 * 115200 baud; this bound is far above a full FIFO's worth.
 */
#define UART_SPIN_LIMIT 10000000

void uart_init(u16 base)
{
	outb(base + UART_IER, 0);  /* polled: no interrupts */
	outb(base + UART_LCR, LCR_DLAB);
	outb(base + UART_DLL, UART_CLOCK_DIVISOR & 0xff);
	outb(base + UART_DLM, UART_CLOCK_DIVISOR >> 8);
	outb(base + UART_LCR, LCR_8N1);
	outb(base + UART_FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RX | FCR_CLEAR_TX);
	outb(base + UART_MCR, MCR_DTR | MCR_RTS);
}

static void uart_wait_lsr(u16 base, u8 bit)
{
	for (long i = 0; i < UART_SPIN_LIMIT; i++) {
		if (inb(base + UART_LSR) & bit)
			return;
		pause();
	}
}

void uart_putc(u16 base, char c)
{
	uart_wait_lsr(base, LSR_THRE);
	outb(base + UART_THR, (u8)c);
}

void uart_wait_idle(u16 base)
{
	uart_wait_lsr(base, LSR_TEMT);
}

/* Receivers with an interrupt: COM1 (the guest console's input) and COM2 (the lab's
 * requests on the log channel). */
struct uart_rx {
	u16 base;
	int irq;
	void (*sink)(u8 byte);
};

static struct uart_rx rx_com1 = {COM1_PORT, HOST_IRQ_COM1, NULL};
static struct uart_rx rx_com2 = {COM2_PORT, HOST_IRQ_COM2, NULL};

/* Everything the receiver holds goes to the sink (reading RBR clears the request). */
static void uart_rx_drain(struct uart_rx *rx)
{
	for (int i = 0; i < 64 && (inb(rx->base + UART_LSR) & LSR_DATA_READY); i++)
		rx->sink(inb(rx->base + UART_RBR));
}

static void com1_irq(void)
{
	uart_rx_drain(&rx_com1);
}

static void com2_irq(void)
{
	uart_rx_drain(&rx_com2);
}

static void uart_rx_init(struct uart_rx *rx, void (*sink)(u8 byte), void (*irq)(void))
{
	rx->sink = sink;
	while (inb(rx->base + UART_LSR) & LSR_DATA_READY)
		(void)inb(rx->base + UART_RBR);
	outb(rx->base + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
	outb(rx->base + UART_IER, IER_RX_DATA);
	hostirq_register(rx->irq, irq);
}

void uart_com1_rx_init(void (*sink)(u8 byte))
{
	uart_rx_init(&rx_com1, sink, com1_irq);
	log_printf("uart: COM1 receive interrupt on IRQ4\n");
}

void uart_com2_rx_init(void (*sink)(u8 byte))
{
	uart_rx_init(&rx_com2, sink, com2_irq);
	log_printf("uart: COM2 receive interrupt on IRQ3\n");
}
