// keyboard: keys typed on the machine's PS/2 keyboard reach the guest's i8042 as
// translated set-1 scancodes, one IRQ1 each. The handler reads them the way SWEB does
// (SWEB.md): wait for 0x64 bit 1 clear, disable the keyboard (0xAD), read 0x60, enable it
// (0xAE). Prints "key 0xNN" per byte (and the character for make codes), and after Enter
// "typed: <the line>".
#include "console.h"
#include "io.h"
#include "irq.h"
#include "multiboot.h"
#include "report.h"

#define KBD_DATA    0x60
#define KBD_STATUS  0x64
#define STATUS_OBF  0x01
#define STATUS_IBF  0x02
#define KBD_DISABLE 0xAD
#define KBD_ENABLE  0xAE
#define BREAK       0x80
#define SC_ENTER    0x1C
#define SC_LSHIFT   0x2A
#define SC_RSHIFT   0x36
#define RING        64
#define LINE        80

// Set 1 make codes 0x00-0x39 (US layout), lower case; 0 where no character.
static const char keymap[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
    'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0, 'a', 's',
    'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0, '\\', 'z', 'x', 'c', 'v',
    'b', 'n', 'm', ',', '.', '/', 0, '*', 0, ' ',
};

static volatile uint8_t ring[RING];
static volatile unsigned ring_head, ring_tail;

static void on_irq1(struct exception_frame *frame)
{
    (void)frame;
    for (int i = 0; i < 100000 && (inb(KBD_STATUS) & STATUS_IBF); i++)
        ;
    outb(KBD_STATUS, KBD_DISABLE);
    uint8_t code = inb(KBD_DATA);
    outb(KBD_STATUS, KBD_ENABLE);
    if (ring_head - ring_tail < RING)
        ring[ring_head++ % RING] = code;
    pic_eoi(1);
}

int main(struct multiboot_info *info)
{
    (void)info;
    char line[LINE + 1];
    unsigned len = 0;
    bool shift = false;

    pic_init();
    irq_set_handler(1, on_irq1);
    for (int i = 0; i < 64 && (inb(KBD_STATUS) & STATUS_OBF); i++)
        inb(KBD_DATA);
    pic_unmask(1);
    puts("KBD ready");
    for (;;) {
        sti_hlt();
        cli();
        while (ring_tail != ring_head) {
            uint8_t code = ring[ring_tail++ % RING];
            uint8_t make = code & ~BREAK;
            char c = make < sizeof(keymap) ? keymap[make] : 0;

            if (make == SC_LSHIFT || make == SC_RSHIFT)
                shift = !(code & BREAK);
            if (code & BREAK || !c || c == '\n' || c == '\b' || c == '\t' || c == 27) {
                printf("key 0x%02x\n", code);
            } else {
                if (shift && c >= 'a' && c <= 'z')
                    c -= 'a' - 'A';
                printf("key 0x%02x %c\n", code, c);
            }
            if (code == SC_ENTER) {
                line[len] = '\0';
                printf("typed: %s\n", line);
                report("a line typed on the keyboard arrived through IRQ1", len > 0);
                return report_summary();
            }
            if (!(code & BREAK) && c && c != '\n' && len < LINE && c >= ' ')
                line[len++] = c;
        }
    }
}
