#include "exception.h"
#include "console.h"
#include "exit.h"
#include "irq.h"

#define KERNEL_CODE_SELECTOR 0x08   // entry.S's GDT
#define GATE_INTERRUPT_32    0x8E   // present, DPL 0, 32-bit interrupt gate (SDM Vol. 3A, 6.11)

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attributes;
    uint16_t offset_high;
} __attribute__((packed));

struct descriptor_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

// The callee-saved registers and where to go: filled by recovery.S.
struct recovery_point {
    uint32_t ebx, esi, edi, ebp, esp, eip;
};

int recovery_save(struct recovery_point *point) __attribute__((returns_twice));
void recovery_resume(struct recovery_point *point) __attribute__((noreturn));

extern const uint32_t exception_stubs[IDT_VECTORS];

static struct idt_gate idt[IDT_VECTORS];

static struct {
    volatile bool armed;
    unsigned vector;
    uint32_t error_code;
    struct recovery_point point;
} expected;

void exceptions_init(void)
{
    for (int v = 0; v < IDT_VECTORS; v++) {
        idt[v] = (struct idt_gate){
            .offset_low = exception_stubs[v] & 0xFFFF,
            .selector = KERNEL_CODE_SELECTOR,
            .type_attributes = GATE_INTERRUPT_32,
            .offset_high = exception_stubs[v] >> 16,
        };
    }
    struct descriptor_pointer idtr = { sizeof(idt) - 1, (uint32_t)idt };
    asm volatile("lidt %0" : : "m"(idtr));
}

void exception_dispatch(struct exception_frame *frame)
{
    if (frame->vector >= IRQ_VECTOR_BASE) {
        irq_dispatch(frame);
        return;
    }
    if (expected.armed && frame->vector == expected.vector) {
        expected.armed = false;
        expected.error_code = frame->error_code;
        recovery_resume(&expected.point);
    }
    printf("FAIL: unexpected exception %u at EIP=0x%08x (error code 0x%x)\n",
           frame->vector, frame->eip, frame->error_code);
    exit(1);
}

bool expect_exception(unsigned vector, void (*fn)(void *), void *arg,
                      uint32_t *error_code)
{
    if (recovery_save(&expected.point)) {
        // Back from exception_dispatch: FN raised VECTOR.
        if (error_code)
            *error_code = expected.error_code;
        return true;
    }
    expected.vector = vector;
    expected.armed = true;
    fn(arg);
    expected.armed = false;
    return false;
}
