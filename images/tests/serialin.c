// serialin: bytes sent to the machine's COM1 reach the guest's UART receive buffer
// (docs/CONTRACT.md 7) with IRQ4 once the guest enables the receive interrupt (IER bit 0;
// PC16550D datasheet). Echoes "got: <line>" for the first line, ended by CR or LF.
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define COM1        0x3F8
#define UART_RBR    0
#define UART_IER    1
#define UART_IIR    2
#define UART_MCR    4
#define UART_LSR    5
#define IER_RX_DATA 0x01
#define MCR_DTR_RTS_OUT2 0x0B   // OUT2 gates the UART's IRQ on PCs
#define LSR_DATA_READY 0x01
#define IIR_NO_INTERRUPT 0x01
#define LINE        80

static char line[LINE + 1];
static volatile unsigned len;
static volatile bool line_done;
static volatile unsigned irqs;

static void on_irq4(struct exception_frame *frame)
{
    (void)frame;
    irqs++;
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
        char c = inb(COM1 + UART_RBR);

        if (line_done)
            continue;
        if (c == '\r' || c == '\n')
            line_done = true;
        else if (len < LINE)
            line[len++] = c;
    }
    pic_eoi(4);
}

int main(struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(4, on_irq4);
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY)
        inb(COM1 + UART_RBR);
    report("the UART reports no interrupt before IER is set",
           inb(COM1 + UART_IIR) & IIR_NO_INTERRUPT);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
    outb(COM1 + UART_IER, IER_RX_DATA);
    pic_unmask(4);
    puts("SERIAL ready");
    while (!line_done) {
        sti_hlt();
        cli();
    }
    line[len] = '\0';
    printf("got: %s\n", line);
    report("a line sent on COM1 arrived through IRQ4", len > 0 && irqs > 0);
    return report_summary();
}
