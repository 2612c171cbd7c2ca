// fuzzer: a seeded random program of exit-causing operations, in the manner of HYPER-CUBE
// (Schumilo et al., NDSS 2020): port reads and writes of every width at random ports, string
// I/O, CPUID, RDMSR/WRMSR of interesting and random MSRs with random values, hypercalls with
// random numbers and pointers, control-register writes, and the instructions a guest is told
// it lacks. Operation i depends only on (seed, i), so any subset of a program runs alone:
// `lab fuzz` replays the operations before a crash and shrinks them to the few that matter.
//
// Command line: seed=S, then either first=A count=N (operations A .. A+N-1) or ops=I,J,K
// (just those). verbose=1 prints every operation before it runs ("op I: ..."); otherwise a
// line "at op I" every CHECKPOINT operations says how far it got. It ends with
// "fuzz done: N operations" and exit code 0: surviving is all it checks.
#include "console.h"
#include "cpu.h"
#include "exception.h"
#include "hv.h"
#include "io.h"
#include "multiboot.h"
#include "report.h"
#include "string.h"

#define CHECKPOINT 1000
#define MAX_LISTED 256

// splitmix64: operation i's own random stream, from (seed, i) alone.
struct rng {
    uint64_t state;
};

static uint64_t next(struct rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return (uint32_t)(next(r) % n);
}

static bool verbose;
static uint8_t scratch[4096] __attribute__((aligned(4096)));

// The guest's own console and its own exit (port 0xF4-0xF7: a write there ends the guest by
// its choice, docs/CONTRACT.md 4): left alone.
static bool spared(uint16_t port)
{
    return (port >= 0x3F8 && port <= 0x3FF) || port == 0xE9 || (port >= 0xF4 && port <= 0xF7);
}

static uint16_t random_port(struct rng *r)
{
    static const uint16_t devices[] = {
        0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64, 0x1F0, 0x1F1,
        0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6, 0x3D4, 0x3D5, 0xE0, 0xE4, 0xE8,
        0x2F8, 0x2FD, 0x80, 0x92, 0xCF8, 0xCFC, 0x604, 0x8900, 0x402, 0x510,
    };
    uint16_t port;
    do
        port = below(r, 2) ? devices[below(r, sizeof(devices) / sizeof(devices[0]))]
                           : (uint16_t)below(r, 0x10000);
    while (spared(port));
    return port;
}

static uint32_t random_msr(struct rng *r)
{
    static const uint32_t msrs[] = {
        0x10, 0x1B, 0x3A, 0x174, 0x175, 0x176, 0x277, 0x480, 0x48B, 0x491, 0xC0000080,
        0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084, 0xC0000100, 0xC0000101, 0xC0000102,
        0xC0010114, 0xC0010117, 0x1D9, 0x8B, 0xFE, 0x2FF,
    };
    return below(r, 4) ? msrs[below(r, sizeof(msrs) / sizeof(msrs[0]))] : (uint32_t)next(r);
}

static uint64_t random_value(struct rng *r)
{
    switch (below(r, 4)) {
    case 0: return 0;
    case 1: return next(r) & 0xFFFFFFFF;
    case 2: return 1ull << below(r, 64);
    default: return next(r);
    }
}

struct msr_op {
    uint32_t index;
    uint64_t value;
    bool write;
};

static void msr_access(void *arg)
{
    struct msr_op *m = arg;
    if (m->write)
        wrmsr(m->index, m->value);
    else
        m->value = rdmsr(m->index);
}

// EFER's LME and SVME, and everything but a few harmless bits: the program must not end
// itself by switching modes under its own feet.
#define EFER_MSR 0xC0000080
#define EFER_SAFE ((1u << 0) | (1u << 11))   // SCE, NXE

static void cr4_write(void *arg)
{
    asm volatile("mov %0, %%cr4" : : "r"(*(uint32_t *)arg));
}

static void ud_insn(void *arg)
{
    switch (*(uint32_t *)arg) {
    case 0: asm volatile("vmxoff"); break;
    case 1: asm volatile("vmread %%eax, %%eax" : : : "eax"); break;
    case 2: asm volatile("vmrun" : : "a"(0)); break;
    case 3: asm volatile("stgi"); break;
    case 4: asm volatile("monitor" : : "a"(scratch), "c"(0), "d"(0)); break;
    default: asm volatile("mwait" : : "a"(0), "c"(0)); break;
    }
}

enum op_kind { OP_IN, OP_OUT, OP_INS, OP_OUTS, OP_CPUID, OP_MSR, OP_HYPERCALL, OP_CR4,
               OP_UD, OP_INVD, OP_KINDS };

static const char *const kind_names[OP_KINDS] = {
    "in", "out", "ins", "outs", "cpuid", "msr", "hypercall", "cr4", "ud", "invd",
};

static void run_op(uint32_t seed, uint32_t i)
{
    struct rng r = { (uint64_t)seed << 32 | i };
    enum op_kind kind = below(&r, OP_KINDS);
    uint8_t size = 1u << below(&r, 3);
    uint16_t port = random_port(&r);
    uint32_t value = (uint32_t)random_value(&r);

    if (verbose)
        printf("op %u: %s", i, kind_names[kind]);
    switch (kind) {
    case OP_IN:
        if (verbose)
            printf(" port 0x%x size %u\n", port, size);
        if (size == 1)
            (void)inb(port);
        else if (size == 2)
            asm volatile("inw %w1, %w0" : "=a"(value) : "Nd"(port));
        else
            asm volatile("inl %w1, %0" : "=a"(value) : "Nd"(port));
        break;
    case OP_OUT:
        if (verbose)
            printf(" port 0x%x size %u value 0x%x\n", port, size, value);
        if (size == 1)
            outb(port, value);
        else if (size == 2)
            asm volatile("outw %w0, %w1" : : "a"(value), "Nd"(port));
        else
            asm volatile("outl %0, %w1" : : "a"(value), "Nd"(port));
        break;
    case OP_INS:
    case OP_OUTS: {
        uint32_t count = below(&r, 64) + 1;
        bool down = below(&r, 2);
        uint8_t *at = down ? scratch + sizeof(scratch) - size : scratch;
        if (verbose)
            printf(" port 0x%x size %u count %u%s\n", port, size, count, down ? " down" : "");
        if (kind == OP_INS)
            asm volatile("std\n\t" "cmpb $1, %b3\n\t" "je 1f\n\t" "cld\n"
                         "1:\n\t" "cmpl $1, %4\n\t" "je 2f\n\t" "cmpl $2, %4\n\t" "je 3f\n\t"
                         "rep insl\n\t" "jmp 4f\n"
                         "2:\n\t" "rep insb\n\t" "jmp 4f\n"
                         "3:\n\t" "rep insw\n"
                         "4:\n\t" "cld"
                         : "+D"(at), "+c"(count) : "d"(port), "q"(down), "r"((uint32_t)size)
                         : "memory", "cc");
        else
            asm volatile("std\n\t" "cmpb $1, %b3\n\t" "je 1f\n\t" "cld\n"
                         "1:\n\t" "cmpl $1, %4\n\t" "je 2f\n\t" "cmpl $2, %4\n\t" "je 3f\n\t"
                         "rep outsl\n\t" "jmp 4f\n"
                         "2:\n\t" "rep outsb\n\t" "jmp 4f\n"
                         "3:\n\t" "rep outsw\n"
                         "4:\n\t" "cld"
                         : "+S"(at), "+c"(count) : "d"(port), "q"(down), "r"((uint32_t)size)
                         : "memory", "cc");
        break;
    }
    case OP_CPUID: {
        uint32_t leaf = below(&r, 2) ? below(&r, 0x20) | (below(&r, 3) << 30)
                                     : (uint32_t)next(&r);
        if (verbose)
            printf(" leaf 0x%x subleaf 0x%x\n", leaf, value);
        (void)cpuid_count(leaf, value);
        break;
    }
    case OP_MSR: {
        struct msr_op m = { random_msr(&r), random_value(&r), below(&r, 2) };
        if (m.index == EFER_MSR && m.write)
            m.value &= EFER_SAFE;
        if (verbose)
            printf(" %s 0x%x value 0x%x%08x\n", m.write ? "wrmsr" : "rdmsr", m.index,
                   (uint32_t)(m.value >> 32), (uint32_t)m.value);
        (void)expect_exception(GP_VECTOR, msr_access, &m, NULL);
        break;
    }
    case OP_HYPERCALL: {
        uint32_t nr = below(&r, 2) ? 1 : (uint32_t)next(&r) | 1;   // never 0 (exit)
        uint32_t a = below(&r, 2) ? (uint32_t)scratch + below(&r, 4096) : (uint32_t)next(&r);
        uint32_t b = below(&r, 4) ? below(&r, 64) : (uint32_t)next(&r);
        if (verbose)
            printf(" nr 0x%x a 0x%x b 0x%x\n", nr, a, b);
        (void)hypercall(nr, a, b, value);
        break;
    }
    case OP_CR4: {
        uint32_t cr4, bit = 1u << below(&r, 32), v;
        asm volatile("mov %%cr4, %0" : "=r"(cr4));
        v = cr4 ^ bit;
        if (verbose)
            printf(" flip bit %u\n", __builtin_ctz(bit));
        // PAE, PGE, PCIDE and the like change nothing with paging off; a #GP is an answer too
        if (!expect_exception(GP_VECTOR, cr4_write, &v, NULL))
            (void)expect_exception(GP_VECTOR, cr4_write, &cr4, NULL);   // and back
        break;
    }
    case OP_UD: {
        uint32_t which = below(&r, 6);
        if (verbose)
            printf(" instruction %u\n", which);
        (void)expect_exception(UD_VECTOR, ud_insn, &which, NULL);
        break;
    }
    default:
        if (verbose)
            printf("\n");
        asm volatile("invd" ::: "memory");
        break;
    }
    if (verbose)
        console_flush();
}

static uint32_t parse_list(const char *s, uint32_t *out, uint32_t max)
{
    uint32_t n = 0;
    while (s && *s >= '0' && *s <= '9' && n < max) {
        uint32_t v = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            v = v * 10 + (uint32_t)(*s - '0');
        out[n++] = v;
        if (*s == ',')
            s++;
    }
    return n;
}

int main(struct multiboot_info *info)
{
    static uint32_t listed[MAX_LISTED];
    uint32_t seed = 1, first = 0, count = 10000, v = 0, n;

    cmdline_number(info, "seed=", &seed);
    cmdline_number(info, "first=", &first);
    cmdline_number(info, "count=", &count);
    verbose = cmdline_number(info, "verbose=", &v) && v;
    n = parse_list(cmdline_value(info, "ops="), listed, MAX_LISTED);
    printf("fuzz seed=%u %s\n", seed, n ? "listed operations" : "range");
    console_flush();
    if (n) {
        for (uint32_t k = 0; k < n; k++)
            run_op(seed, listed[k]);
        count = n;
    } else {
        for (uint32_t i = first; i < first + count; i++) {
            if (!verbose && (i - first) % CHECKPOINT == 0) {
                printf("at op %u\n", i);
                console_flush();
            }
            run_op(seed, i);
        }
    }
    asm volatile("cld");
    printf("fuzz done: %u operations\n", count);
    report("the fuzz program ran to its end", true);
    return report_summary();
}
