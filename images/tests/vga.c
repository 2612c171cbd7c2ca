// vga: writes a known screen, so that a scenario can compare it cell for cell.
//
// The pattern (80x25 text mode, 2 bytes per cell at 0xB8000: character, attribute):
//   every cell first:  ' ' with attribute 0x07 (grey on black)
//   row 0,  col 0:     "LAB VGA TEST"  attribute 0x1F (white on blue)
//   row 1,  col 0:     "0123456789"    attribute 0x2E (yellow on green)
//   row 24, col 74:    "BOTTOM"        attribute 0x4F (white on red), ends in the last cell
//   cursor:            row 2, col 0 (CRTC registers 0x0E/0x0F = 0x00/0xA0)
// The console gets one "VGA ..." line for each of these, in this order.
#include "console.h"
#include "io.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define VGA_TEXT        ((volatile uint16_t *)0xB8000)
#define VGA_COLUMNS     80
#define VGA_ROWS        25
#define BLANK_ATTRIBUTE 0x07

// CRT controller index/data ports and cursor location registers
// (IBM VGA Technical Reference, CRTC registers 0x0E and 0x0F).
#define CRTC_INDEX      0x3D4
#define CRTC_DATA       0x3D5
#define CRTC_CURSOR_HIGH 0x0E
#define CRTC_CURSOR_LOW  0x0F

#define CURSOR_ROW      2
#define CURSOR_COLUMN   0

static const struct text_run {
    unsigned row, column;
    uint8_t attribute;
    const char *text;
} pattern[] = {
    { 0, 0, 0x1F, "LAB VGA TEST" },
    { 1, 0, 0x2E, "0123456789" },
    { 24, 74, 0x4F, "BOTTOM" },
};

#define PATTERN_RUNS (sizeof(pattern) / sizeof(pattern[0]))

static uint16_t cell(char c, uint8_t attribute)
{
    return (uint16_t)attribute << 8 | (uint8_t)c;
}

// What the cell at INDEX should hold once the pattern is written.
static uint16_t expected_cell(unsigned index)
{
    for (unsigned i = 0; i < PATTERN_RUNS; i++) {
        const struct text_run *run = &pattern[i];
        unsigned start = run->row * VGA_COLUMNS + run->column;
        if (index >= start && index - start < strlen(run->text))
            return cell(run->text[index - start], run->attribute);
    }
    return cell(' ', BLANK_ATTRIBUTE);
}

static void write_screen(void)
{
    for (unsigned i = 0; i < VGA_COLUMNS * VGA_ROWS; i++)
        VGA_TEXT[i] = cell(' ', BLANK_ATTRIBUTE);
    printf("VGA clear rows=%u columns=%u char=' ' attr=0x%02x\n",
           VGA_ROWS, VGA_COLUMNS, BLANK_ATTRIBUTE);
    for (unsigned i = 0; i < PATTERN_RUNS; i++) {
        const struct text_run *run = &pattern[i];
        volatile uint16_t *at = VGA_TEXT + run->row * VGA_COLUMNS + run->column;
        for (const char *c = run->text; *c; c++)
            *at++ = cell(*c, run->attribute);
        printf("VGA text row=%u col=%u attr=0x%02x text=\"%s\"\n",
               run->row, run->column, run->attribute, run->text);
    }
}

static bool screen_matches(void)
{
    for (unsigned i = 0; i < VGA_COLUMNS * VGA_ROWS; i++) {
        if (VGA_TEXT[i] != expected_cell(i)) {
            printf("VGA cell %u holds 0x%04x, expected 0x%04x\n",
                   i, VGA_TEXT[i], expected_cell(i));
            return false;
        }
    }
    return true;
}

static uint8_t crtc_read(uint8_t index)
{
    outb(CRTC_INDEX, index);
    return inb(CRTC_DATA);
}

static void crtc_write(uint8_t index, uint8_t value)
{
    outb(CRTC_INDEX, index);
    outb(CRTC_DATA, value);
}

static bool cursor_set_and_read_back(void)
{
    uint16_t position = CURSOR_ROW * VGA_COLUMNS + CURSOR_COLUMN;
    crtc_write(CRTC_CURSOR_HIGH, position >> 8);
    crtc_write(CRTC_CURSOR_LOW, position & 0xFF);
    printf("VGA cursor row=%u col=%u\n", CURSOR_ROW, CURSOR_COLUMN);
    uint16_t read_back = crtc_read(CRTC_CURSOR_HIGH) << 8 | crtc_read(CRTC_CURSOR_LOW);
    if (read_back != position)
        printf("VGA cursor registers read 0x%04x, expected 0x%04x\n", read_back, position);
    return read_back == position;
}

int main(struct multiboot_info *info)
{
    (void)info;
    write_screen();
    report("vga text memory reads back the pattern", screen_matches());
    report("vga cursor registers 0x0E/0x0F read back", cursor_set_and_read_back());
    return report_summary();
}
