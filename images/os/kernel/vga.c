// VGA text mode, 80x25, as the loader left it (mode 3): we write the screen
// memory directly and touch one register, to turn the cursor off, as SWEB does.
#include "kernel.h"
#include "x86.h"

#define VGA_TEXT        ((volatile uint16_t *)0xB8000)
#define VGA_COLS        80
#define VGA_ROWS        25
#define VGA_GREEN_ON_BLACK 0x02
#define CRTC_INDEX      0x3D4
#define CRTC_DATA       0x3D5
#define CRTC_CURSOR_START 0x0A
#define CURSOR_DISABLE  0x20

static int row, col;

static uint16_t cell(char c)
{
    return (uint16_t)(VGA_GREEN_ON_BLACK << 8 | (uint8_t)c);
}

void vga_init(void)
{
    outb(CRTC_INDEX, CRTC_CURSOR_START);
    outb(CRTC_DATA, CURSOR_DISABLE);
    for (int i = 0; i < VGA_COLS * VGA_ROWS; i++)
        VGA_TEXT[i] = cell(' ');
    row = col = 0;
}

static void scroll(void)
{
    for (int i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
        VGA_TEXT[i] = VGA_TEXT[i + VGA_COLS];
    for (int i = 0; i < VGA_COLS; i++)
        VGA_TEXT[VGA_COLS * (VGA_ROWS - 1) + i] = cell(' ');
    row = VGA_ROWS - 1;
}

void vga_putc(char c)
{
    switch (c) {
    case '\n':
        col = 0;
        row++;
        break;
    case '\r':
        col = 0;
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    default:
        VGA_TEXT[row * VGA_COLS + col] = cell(c);
        if (++col == VGA_COLS) {
            col = 0;
            row++;
        }
    }
    if (row == VGA_ROWS)
        scroll();
}
