// The console: every byte of output goes to the chosen devices (VGA text,
// COM1, port 0xE9); keyboard and COM1 input meet in one queue that feeds one
// line editor.
#include "kernel.h"
#include "x86.h"

#define PORT_E9         0xE9    // QEMU/Bochs debug console; SWEB's only console
#define INPUT_SIZE      256     // a power of two, so the indices may wrap freely

static unsigned outputs;
static bool at_line_start = true;

static struct {
    char buf[INPUT_SIZE];
    volatile uint32_t read, write;  // written by interrupt handlers
} input;

void console_init(unsigned which)
{
    outputs = which;
    vga_init();
    uart_init();    // COM1 input works whatever the output choice
}

void console_putc(char c)
{
    if (outputs & CONSOLE_VGA)
        vga_putc(c);
    if (outputs & CONSOLE_SERIAL) {
        if (c == '\n')
            uart_putc('\r');    // a terminal wants both
        uart_putc(c);
    }
    if (outputs & CONSOLE_E9)
        outb(PORT_E9, (uint8_t)c);
    at_line_start = c == '\n';
}

void console_write(const char *s, size_t n)
{
    while (n--)
        console_putc(*s++);
}

void console_start_line(void)
{
    if (!at_line_start)
        console_putc('\n');
}

// Called with interrupts off (from a handler, or from a poll that disabled
// them); a full queue drops the byte rather than overwrite unread input.
void console_input(char c)
{
    if (input.write - input.read == INPUT_SIZE)
        return;
    input.buf[input.write % INPUT_SIZE] = c;
    input.write++;
}

// Wait for the next input byte. COM1 is also polled here, so input works even
// where the UART's receive interrupt is not delivered (the timer's tick ends
// every HLT at least 100 times a second).
static char console_getc(void)
{
    uint32_t saved = read_eflags();
    cli();
    for (;;) {
        uart_poll_input();
        if (input.read != input.write)
            break;
        sti_hlt_cli();
    }
    char c = input.buf[input.read % INPUT_SIZE];
    input.read++;
    if (saved & EFLAGS_IF)
        sti();
    return c;
}

int console_readline(char *buf, int size)
{
    int len = 0;
    static bool last_was_cr;
    for (;;) {
        char c = console_getc();
        // A terminal may send CR, LF or CR LF for Enter: one line each time.
        if (c == '\n' && last_was_cr) {
            last_was_cr = false;
            continue;
        }
        last_was_cr = c == '\r';
        if (c == '\r' || c == '\n') {
            console_putc('\n');
            buf[len] = '\0';
            return len;
        }
        if (c == '\b' || c == 0x7F) {
            if (len > 0) {
                len--;
                console_write("\b \b", 3);
            }
            continue;
        }
        if ((unsigned char)c < ' ' || len == size - 1)
            continue;
        buf[len++] = c;
        console_putc(c);
    }
}
