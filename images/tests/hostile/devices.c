// The hostile guest's attacks on ports, device models, interrupts and hypercalls (see hostile.h).
#include "hostile.h"

// REP INSB downwards (DF=1) with the largest count: the pointer runs down from 64 KiB,
// through 0, and wraps out of guest RAM at 4 GiB - 1. Each element is one port read.
void rep_insb_down(const struct multiboot_info *info)
{
    (void)info;
    console_flush();
    uint32_t to = 0x10000, count = 0xFFFFFFFF;
    asm volatile("std; rep insb; cld" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
    report("REP INSB through the end of guest RAM returned", false);
}

static void tick_mark(struct exception_frame *frame)
{
    (void)frame;
    outb(0xE9, 'T');   // straight to the console (docs/CONTRACT.md 6): no buffer to lose
    pic_eoi(0);
}

// The same REP INSB downwards, from just below 1 MiB, with the PIT ticking at 1000 Hz and
// interrupts on: the guest's code, stack and IDT lie above 1 MiB and survive. A hypervisor
// that carries a long REP out in pieces lets the ticks in between them (a "T" each), as
// hardware does between iterations.
void rep_insb_ticking(const struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(0, tick_mark);
    pit_periodic(1000);
    pic_unmask(0);
    console_flush();
    sti();
    uint32_t to = 0xFFFFF, count = 0xFFFFFFFF;
    asm volatile("std; rep insb; cld" : "+D"(to), "+c"(count) : "d"(0xE4) : "memory");
    cli();
    report("REP INSB through the end of guest RAM returned", false);
}

// --- Port sweeps: every port read at width 1 (and 2 and 4 in the ISA range), every port
// written with 0 except the guest's own console. Nothing may end or reset the machine. ---

void port_read_sweep(const struct multiboot_info *info)
{
    (void)info;
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        (void)inb(port);
    for (uint32_t port = 0; port < 0x400; port++) {
        uint16_t w;
        uint32_t l;
        asm volatile("inw %w1, %0" : "=a"(w) : "Nd"(port));
        asm volatile("inl %w1, %0" : "=a"(l) : "Nd"(port));
    }
    report("every port read, the guest runs on", true);
}

static bool console_port(uint32_t port)
{
    return (port >= 0x3F8 && port <= 0x3FF) || port == 0xE9;
}

// Ports 0xF4-0xF7 are the guest's own exit (docs/CONTRACT.md 4), as the exit hypercall is: a
// write there ends this guest by its own choice, which is no attack.
#define GUEST_EXIT_PORT 0xF4

void port_write_sweep(const struct multiboot_info *info)
{
    (void)info;
    for (uint32_t port = 0; port <= 0xFFFF; port++)
        if (!console_port(port) && (port < GUEST_EXIT_PORT || port > GUEST_EXIT_PORT + 3))
            outb(port, 0);
    report("every port written with 0, the guest runs on", true);
}

// Several guests (docs/CONTRACT.md 10): the guest writes the console tag that names guest 1,
// then text. Passed on as it is, the text would reach the lab as guest 1's; the hypervisor
// must send this guest's ESC doubled. It then ends itself with code 0.
void forge_tag(const struct multiboot_info *info)
{
    (void)info;
    puts("\x1bg1forged as guest 1");
    puts("forge-tag done");
    console_flush();
    hypercall(HC_EXIT, 0, 0, 0);
}

// The machine-level ends the hypervisor itself uses (docs/CONTRACT.md 4), a forged end line
// on the log channel (COM2), and the PC's reset lines: none may end the run or reset the
// machine for the guest. It then ends itself with code 7: the verdict must be 1 (fail).
// Not port 0xF4: that is the guest's own exit now, as the exit hypercall is.
void forge_end(const struct multiboot_info *info)
{
    static const char forged[] = "\n@lab end code=0 reason=pass\n";
    (void)info;
    for (const char *c = forged; *c; c++)
        outb(0x2F8, *c);             // COM2, the log channel
    asm volatile("outw %w0, %w1" : : "a"(0x2000), "Nd"(0x604));   // ACPI S5
    for (const char *c = "Shutdown"; *c; c++)
        outb(0x8900, *c);            // Bochs' shutdown port
    outb(0x64, 0xFE);                // i8042: pulse the reset line
    outb(0xCF9, 0x06);               // PCI reset control: hard reset
    outb(0x92, 0x01);                // port 92: fast reset
    puts("still running after every forged end and reset");
    console_flush();
    hypercall(HC_EXIT, 7, 0, 0);
}

// --- Hypercalls with bogus numbers and pointers: -1 each, and the guest runs on. ---

void hypercall_bogus(const struct multiboot_info *info)
{
    uint32_t ram_end = (info->mem_upper + 1024) * 1024;
    report("an unknown hypercall returns -1", hypercall(0x1234, 0, 0, 0) == HC_UNKNOWN_RESULT);
    report("puts from outside RAM returns -1",
           hypercall(HC_PUTS, 0xC0000000, 16, 0) == HC_UNKNOWN_RESULT);
    report("puts across the end of RAM returns -1",
           hypercall(HC_PUTS, ram_end - 8, 16, 0) == HC_UNKNOWN_RESULT);
    report("puts longer than its limit returns -1",
           hypercall(HC_PUTS, 0x100000, HC_PUTS_MAX + 1, 0) == HC_UNKNOWN_RESULT);
    report("puts with length 0xFFFFFFFF returns -1",
           hypercall(HC_PUTS, 0x100000, 0xFFFFFFFF, 0) == HC_UNKNOWN_RESULT);
}

// --- Garbage programming of the PIC and PIT, then the timer must still work. ---

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 16;
}

static volatile uint32_t garbage_ticks;

static void count_tick(struct exception_frame *frame)
{
    (void)frame;
    garbage_ticks++;
    pic_eoi(0);
}

void pic_pit_garbage(const struct multiboot_info *info)
{
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x61 };
    uint32_t state = 1;
    (void)info;
    for (int i = 0; i < 20000; i++) {
        uint16_t port = ports[lcg(&state) % (sizeof(ports) / sizeof(ports[0]))];
        if (lcg(&state) & 1)
            outb(port, lcg(&state));
        else
            (void)inb(port);
    }
    report("20000 random PIC and PIT accesses, the guest runs on", true);
    pic_init();
    irq_set_handler(0, count_tick);
    pit_periodic(100);
    pic_unmask(0);
    sti();
    for (int i = 0; i < 3; i++)
        asm volatile("hlt");
    cli();
    report("re-initialised, the timer ticks again", garbage_ticks >= 3);
}

// --- An interrupt storm from the test device: every pulse is one interrupt. ---

static volatile uint32_t storm_count;

static void count_storm(struct exception_frame *frame)
{
    (void)frame;
    storm_count++;
    pic_eoi(5);
}

void irq_storm(const struct multiboot_info *info)
{
    (void)info;
    pic_init();
    irq_set_handler(5, count_storm);
    pic_unmask(5);
    sti();
    for (int i = 0; i < 10000; i++)
        outb(TEST_IRQ_PORT, 5);
    cli();
    printf("IRQ5 taken %u times for 10000 pulses\n", storm_count);
    report("10000 pulses of IRQ5, each taken once", storm_count == 10000);
}

// --- More device garbage: the UART, the CRTC and the i8042, each then still working. ---

void uart_garbage(const struct multiboot_info *info)
{
    uint32_t state = 7;
    (void)info;
    console_flush();
    for (int i = 0; i < 5000; i++)
        outb(0x3F9 + lcg(&state) % 7, lcg(&state));   // IER .. SCR, never THR itself
    outb(0x3FB, 0x03);   // 8N1, DLAB off: the console's own setting back
    outb(0x3F9, 0x00);
    outb(0x3FC, 0x03);
    report("5000 random UART register writes, the console prints again", true);
}

void crtc_garbage(const struct multiboot_info *info)
{
    uint32_t state = 11;
    (void)info;
    for (int i = 0; i < 5000; i++) {
        outb(0x3D4, lcg(&state));
        if (lcg(&state) & 1)
            outb(0x3D5, lcg(&state));
        else
            (void)inb(0x3D5);
    }
    outb(0x3D4, 0x0F);
    outb(0x3D5, 0x42);
    outb(0x3D4, 0x0F);
    report("5000 random CRTC accesses, the cursor register still reads back",
           inb(0x3D5) == 0x42);
}

void i8042_garbage(const struct multiboot_info *info)
{
    uint32_t state = 13;
    (void)info;
    for (int i = 0; i < 5000; i++) {
        uint8_t v = lcg(&state);
        if (v == 0xFE)
            continue;                              // the reset pulse: forge-end's business
        outb(lcg(&state) & 1 ? 0x64 : 0x60, v);
        (void)inb(0x64);
        (void)inb(0x60);
    }
    outb(0x64, 0xAA);                              // controller self-test
    for (int i = 0; i < 100000 && !(inb(0x64) & 1); i++)
        ;
    uint8_t answer = inb(0x60);
    printf("self-test answered 0x%x\n", answer);
    report("5000 random i8042 accesses, the self-test answers 0x55", answer == 0x55);
}

// --- Console floods: the hypervisor and the lab must keep up, and lose nothing after. ---

// `kib=N` KiB (default 64) through port 0xE9 with REP OUTSB, then a line of its own.
void console_flood(const struct multiboot_info *info)
{
    static char block[1024];
    uint32_t kib = 64;
    cmdline_number(info, "kib=", &kib);
    for (unsigned k = 0; k < sizeof(block); k++)
        block[k] = k % 64 == 63 ? '\n' : 'F';
    for (uint32_t i = 0; i < kib; i++) {
        const char *from = block;
        uint32_t count = sizeof(block);
        asm volatile("cld; rep outsb" : "+S"(from), "+c"(count) : "d"(0xE9) : "memory");
    }
    puts("flood over");
    report("a flood on the console, the guest runs on", true);
}

void hypercall_storm(const struct multiboot_info *info)
{
    static const char dot = '.';
    int32_t bad = 0;
    (void)info;
    for (int i = 0; i < 20000; i++)
        bad += hypercall(HC_PUTS, (uint32_t)&dot, 1, 0) != 0;
    puts("");
    report("20000 one-byte puts hypercalls, each answered 0", bad == 0);
}

// Port accesses at the top of the port space: a dword at 0xFFFD..0xFFFF reaches past it.
void port_wrap(const struct multiboot_info *info)
{
    uint32_t v;
    (void)info;
    for (uint32_t port = 0xFFFC; port <= 0xFFFF; port++) {
        asm volatile("outl %0, %w1" : : "a"(0x12345678u), "Nd"(port));
        asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
        asm volatile("outw %w0, %w1" : : "a"(0x1234u), "Nd"(port));
    }
    report("dword and word accesses at the top of the port space, the guest runs on", true);
}
