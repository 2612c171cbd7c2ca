// portio: port I/O round trips through the test device at 0xE0-0xE7
// (docs/CONTRACT.md section 6): eight scratch bytes, where an access of width
// w at port 0xE0 + k touches offsets k, k+1, ... k+w-1, wrapping within the
// eight, and a string instruction behaves as that many single accesses.
// The string checks also look at ESI/EDI/ECX afterwards, which a hypervisor
// emulating REP INS/OUTS must update (Intel SDM Vol. 2B, "OUTS", "REP").
#include "console.h"
#include "io.h"
#include "hv.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define TEST_DEVICE      0xE0
#define TEST_DEVICE_SIZE 8
#define GUARD            0x5A   // around buffers, to catch a transfer that runs over

static const uint8_t background[TEST_DEVICE_SIZE] = {
    0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7
};

static void device_fill(const uint8_t bytes[TEST_DEVICE_SIZE])
{
    for (int k = 0; k < TEST_DEVICE_SIZE; k++)
        outb(TEST_DEVICE + k, bytes[k]);
}

// Does the device hold BACKGROUND except for SIZE bytes VALUE (little endian)
// stored from OFFSET on, wrapping?
static bool device_holds(unsigned offset, uint32_t value, unsigned size)
{
    uint8_t expected[TEST_DEVICE_SIZE];
    memcpy(expected, background, sizeof(expected));
    for (unsigned i = 0; i < size; i++)
        expected[(offset + i) % TEST_DEVICE_SIZE] = value >> (8 * i);
    for (int k = 0; k < TEST_DEVICE_SIZE; k++)
        if (inb(TEST_DEVICE + k) != expected[k])
            return false;
    return true;
}

// Registers after a REP string instruction: where ESI/EDI ended, and ECX.
struct string_result {
    uintptr_t pointer;
    uint32_t count;
};

#define DEFINE_REP_STRING(name, instruction, pointer_register)                   \
    static struct string_result name(uint16_t port, void *buf, uint32_t count,   \
                                     bool backwards)                             \
    {                                                                            \
        if (backwards)                                                           \
            asm volatile("std; rep " instruction "; cld"                         \
                         : "+" pointer_register(buf), "+c"(count)                \
                         : "d"(port) : "memory");                                \
        else                                                                     \
            asm volatile("rep " instruction                                      \
                         : "+" pointer_register(buf), "+c"(count)                \
                         : "d"(port) : "memory");                                \
        return (struct string_result){ (uintptr_t)buf, count };                  \
    }

DEFINE_REP_STRING(rep_outsb, "outsb", "S")
DEFINE_REP_STRING(rep_outsw, "outsw", "S")
DEFINE_REP_STRING(rep_outsl, "outsl", "S")
DEFINE_REP_STRING(rep_insb, "insb", "D")
DEFINE_REP_STRING(rep_insw, "insw", "D")
DEFINE_REP_STRING(rep_insl, "insl", "D")

static bool single_bytes_at_every_offset(void)
{
    for (int k = 0; k < TEST_DEVICE_SIZE; k++)
        outb(TEST_DEVICE + k, 0x11 * (k + 1));
    for (int k = 0; k < TEST_DEVICE_SIZE; k++)
        if (inb(TEST_DEVICE + k) != 0x11 * (k + 1))
            return false;
    return true;
}

static bool word_at(unsigned offset)
{
    device_fill(background);
    outw(TEST_DEVICE + offset, 0xBEEF);
    return inw(TEST_DEVICE + offset) == 0xBEEF && device_holds(offset, 0xBEEF, 2);
}

static bool dword_at(unsigned offset)
{
    device_fill(background);
    outl(TEST_DEVICE + offset, 0x44332211);
    return inl(TEST_DEVICE + offset) == 0x44332211 && device_holds(offset, 0x44332211, 4);
}

static bool word_at_2(void) { return word_at(2); }
static bool word_at_5_unaligned(void) { return word_at(5); }
static bool word_at_7_wraps(void) { return word_at(7); }
static bool dword_at_0(void) { return dword_at(0); }
static bool dword_at_4(void) { return dword_at(4); }
static bool dword_at_6_wraps(void) { return dword_at(6); }

// Eight bytes out to one port: each lands on the same offset, the last one stays.
static bool rep_outsb_8(void)
{
    static const uint8_t data[8] = "ABCDEFGH";
    device_fill(background);
    struct string_result r = rep_outsb(TEST_DEVICE + 3, (void *)data, 8, false);
    return r.count == 0 && r.pointer == (uintptr_t)(data + 8) && device_holds(3, 'H', 1);
}

// Eight reads of one port fill eight bytes, no more.
static bool rep_insb_8(void)
{
    uint8_t buf[12];
    memset(buf, GUARD, sizeof(buf));
    device_fill(background);
    outb(TEST_DEVICE + 3, 'H');
    struct string_result r = rep_insb(TEST_DEVICE + 3, buf + 2, 8, false);
    return r.count == 0 && r.pointer == (uintptr_t)(buf + 10)
        && memcmp(buf, "\x5a\x5aHHHHHHHH\x5a\x5a", sizeof(buf)) == 0;
}

static bool rep_outsw_4(void)
{
    static const uint16_t data[4] = { 0x0102, 0x0304, 0x0506, 0x0708 };
    device_fill(background);
    struct string_result r = rep_outsw(TEST_DEVICE + 6, (void *)data, 4, false);
    return r.count == 0 && r.pointer == (uintptr_t)(data + 4) && device_holds(6, 0x0708, 2);
}

static bool rep_insw_4(void)
{
    uint16_t buf[6] = { 0x5A5A, 0, 0, 0, 0, 0x5A5A };
    device_fill(background);
    outw(TEST_DEVICE + 6, 0x0708);
    struct string_result r = rep_insw(TEST_DEVICE + 6, buf + 1, 4, false);
    return r.count == 0 && r.pointer == (uintptr_t)(buf + 5) && buf[0] == 0x5A5A
        && buf[1] == 0x0708 && buf[2] == 0x0708 && buf[3] == 0x0708
        && buf[4] == 0x0708 && buf[5] == 0x5A5A;
}

static bool rep_outsl_3(void)
{
    static const uint32_t data[3] = { 0x11111111, 0x22222222, 0xDDCCBBAA };
    device_fill(background);
    struct string_result r = rep_outsl(TEST_DEVICE + 4, (void *)data, 3, false);
    return r.count == 0 && r.pointer == (uintptr_t)(data + 3)
        && device_holds(4, 0xDDCCBBAA, 4);
}

static bool rep_insl_3(void)
{
    uint32_t buf[5] = { 0x5A5A5A5A, 0, 0, 0, 0x5A5A5A5A };
    device_fill(background);
    outl(TEST_DEVICE + 4, 0xDDCCBBAA);
    struct string_result r = rep_insl(TEST_DEVICE + 4, buf + 1, 3, false);
    return r.count == 0 && r.pointer == (uintptr_t)(buf + 4) && buf[0] == 0x5A5A5A5A
        && buf[1] == 0xDDCCBBAA && buf[2] == 0xDDCCBBAA && buf[3] == 0xDDCCBBAA
        && buf[4] == 0x5A5A5A5A;
}

// With ECX = 0 a REP instruction does nothing at all (SDM Vol. 2B, "REP").
static bool rep_outsb_count_0(void)
{
    static const uint8_t data[1] = { 0x99 };
    device_fill(background);
    struct string_result r = rep_outsb(TEST_DEVICE, (void *)data, 0, false);
    return r.count == 0 && r.pointer == (uintptr_t)data && device_holds(0, 0, 0);
}

static bool rep_insb_count_0(void)
{
    uint8_t buf[4];
    memset(buf, GUARD, sizeof(buf));
    device_fill(background);
    struct string_result r = rep_insb(TEST_DEVICE, buf + 1, 0, false);
    return r.count == 0 && r.pointer == (uintptr_t)(buf + 1)
        && memcmp(buf, "\x5a\x5a\x5a\x5a", 4) == 0;
}

// DF = 1: ESI walks down from the last byte, so the first byte is sent last.
static bool std_rep_outsb_8(void)
{
    static const uint8_t data[8] = "abcdefgh";
    device_fill(background);
    struct string_result r = rep_outsb(TEST_DEVICE + 1, (void *)(data + 7), 8, true);
    return r.count == 0 && r.pointer == (uintptr_t)data - 1 && device_holds(1, 'a', 1);
}

static bool std_rep_insb_8(void)
{
    uint8_t buf[12];
    memset(buf, GUARD, sizeof(buf));
    device_fill(background);
    outb(TEST_DEVICE + 1, 'z');
    struct string_result r = rep_insb(TEST_DEVICE + 1, buf + 9, 8, true);
    return r.count == 0 && r.pointer == (uintptr_t)(buf + 1)
        && memcmp(buf, "\x5a\x5azzzzzzzz\x5a\x5a", sizeof(buf)) == 0;
}

static const struct {
    const char *name;
    bool (*check)(void);
} checks[] = {
    { "portio outb/inb at every offset 0xE0-0xE7", single_bytes_at_every_offset },
    { "portio outw/inw at 0xE2", word_at_2 },
    { "portio outw/inw at 0xE5 (unaligned)", word_at_5_unaligned },
    { "portio outw/inw at 0xE7 wraps to offset 0", word_at_7_wraps },
    { "portio outl/inl at 0xE0", dword_at_0 },
    { "portio outl/inl at 0xE4", dword_at_4 },
    { "portio outl/inl at 0xE6 wraps to offsets 6,7,0,1", dword_at_6_wraps },
    { "portio rep outsb 8 bytes", rep_outsb_8 },
    { "portio rep insb 8 bytes", rep_insb_8 },
    { "portio rep outsw 4 words", rep_outsw_4 },
    { "portio rep insw 4 words", rep_insw_4 },
    { "portio rep outsl 3 dwords", rep_outsl_3 },
    { "portio rep insl 3 dwords", rep_insl_3 },
    { "portio rep outsb with ECX=0 transfers nothing", rep_outsb_count_0 },
    { "portio rep insb with ECX=0 transfers nothing", rep_insb_count_0 },
    { "portio std; rep outsb goes downwards", std_rep_outsb_8 },
    { "portio std; rep insb goes downwards", std_rep_insb_8 },
};

int main(struct multiboot_info *info)
{
    (void)info;
    bool device_present = hv_present();
    for (unsigned i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        if (device_present)
            report(checks[i].name, checks[i].check());
        else
            report_skip(checks[i].name, "no lab hypervisor, so no test device");
    }
    return report_summary();
}
