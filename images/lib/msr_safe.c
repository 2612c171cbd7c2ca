// MSR accesses that may raise #GP: an unknown or reserved MSR index, or a value
// with reserved bits set (Intel SDM Vol. 2B, RDMSR/WRMSR "Protected Mode Exceptions").
#include "cpu.h"
#include "exception.h"

struct msr_access {
    uint32_t index;
    uint64_t value;
};

static void read_msr(void *arg)
{
    struct msr_access *access = arg;
    access->value = rdmsr(access->index);
}

static void write_msr(void *arg)
{
    struct msr_access *access = arg;
    wrmsr(access->index, access->value);
}

bool rdmsr_safe(uint32_t index, uint64_t *value)
{
    struct msr_access access = { index, 0 };
    if (expect_exception(GP_VECTOR, read_msr, &access, 0))
        return false;
    *value = access.value;
    return true;
}

bool wrmsr_safe(uint32_t index, uint64_t value)
{
    struct msr_access access = { index, value };
    return !expect_exception(GP_VECTOR, write_msr, &access, 0);
}
