// The PS/2 keyboard behind the i8042 controller, accessed in SWEB's exact
// sequence, delivering translated scan code set 1 on IRQ 1.
#include "kernel.h"
#include "trap.h"
#include "x86.h"

#define KBD_DATA        0x60
#define KBD_STATUS      0x64    // read: status; write: controller command
#define STATUS_OUTPUT_FULL 0x01
#define STATUS_INPUT_FULL  0x02
#define CMD_DISABLE_KBD 0xAD
#define CMD_ENABLE_KBD  0xAE
#define SC_RELEASE      0x80
#define SC_EXTENDED     0xE0
#define SC_LSHIFT       0x2A
#define SC_RSHIFT       0x36
#define POLL_LIMIT      100000

// Scan code set 1 (what the i8042 delivers with translation on) to ASCII.
static const char normal_map[0x3A] = {
    0, 27, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b',
    '\t', 'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n',
    0, 'a', 's', 'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`',
    0, '\\', 'z', 'x', 'c', 'v', 'b', 'n', 'm', ',', '.', '/', 0,
    '*', 0, ' ',
};
static const char shift_map[0x3A] = {
    0, 27, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b',
    '\t', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n',
    0, 'A', 'S', 'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~',
    0, '|', 'Z', 'X', 'C', 'V', 'B', 'N', 'M', '<', '>', '?', 0,
    '*', 0, ' ',
};

static bool shift, extended;

// Throw away whatever the controller holds from before we were listening.
void kbd_init(void)
{
    for (int i = 0; i < 64 && (inb_p(KBD_STATUS) & STATUS_OUTPUT_FULL); i++)
        inb_p(KBD_DATA);
    pic_unmask(IRQ_KEYBOARD);
}

static void handle_scancode(uint8_t sc)
{
    if (sc == SC_EXTENDED) {
        extended = true;    // arrows and friends: ignored, and so is their next byte
        return;
    }
    bool was_extended = extended;
    extended = false;
    uint8_t key = sc & ~SC_RELEASE;
    if (key == SC_LSHIFT || key == SC_RSHIFT) {
        shift = !(sc & SC_RELEASE);
        return;
    }
    if (was_extended || (sc & SC_RELEASE) || key >= sizeof(normal_map))
        return;
    char c = shift ? shift_map[key] : normal_map[key];
    if (c)
        console_input(c);
}

// IRQ 1: SWEB disables the keyboard around reading the byte, so that no new
// scan code replaces it in between.
void kbd_intr(void)
{
    for (int i = 0; i < POLL_LIMIT && (inb_p(KBD_STATUS) & STATUS_INPUT_FULL); i++)
        ;
    outb_p(KBD_STATUS, CMD_DISABLE_KBD);
    uint8_t sc = inb_p(KBD_DATA);
    outb_p(KBD_STATUS, CMD_ENABLE_KBD);
    handle_scancode(sc);
}
