/*
 * The core's exit handlers, one per vendor-neutral exit reason (KVM style: each
 * returns whether to resume the guest). core/run.c holds the table; the larger
 * handlers have files of their own.
 */
#ifndef EXITS_H
#define EXITS_H

#include "run_end.h"
#include "vcpu.h"
#include "vm.h"
#include "x86.h"

bool handle_cpuid(struct vcpu *v, struct vm_exit *e);     /* core/cpuid.c */
bool handle_io(struct vcpu *v, struct vm_exit *e);        /* core/io.c */
bool handle_msr_read(struct vcpu *v, struct vm_exit *e);  /* core/msr.c */
bool handle_msr_write(struct vcpu *v, struct vm_exit *e);
bool handle_npf(struct vcpu *v, struct vm_exit *e);       /* core/mmio.c */
bool handle_xsetbv(struct vcpu *v, struct vm_exit *e);    /* core/xcr.c */

/* Resumes after the exiting instruction: RIP = exit RIP + its length. True, so that a
 * handler's last act can be `return vcpu_skip_insn(v, e);` (a tail call: every exit
 * that completes an instruction passes here). */
static inline bool vcpu_skip_insn(struct vcpu *v, const struct vm_exit *e)
{
	return v->vm->ops->set_rip(v, e->rip + e->insn_len);
}
/* Records how the run ends and logs why; handlers `return guest_stop(...)`. */
bool guest_stop(struct vcpu *v, enum end_code code, const char *fmt, ...) __printf(3, 4);
typedef bool exit_handler(struct vcpu *v, struct vm_exit *e);
/* By exit reason (core/run.c); handle_unhandled where no other. */
extern exit_handler *const exit_handlers[EXIT_COUNT];
bool handle_unhandled(struct vcpu *v, struct vm_exit *e);
/* The `@lab exits` line of a guest's counts; `tagged` adds its guest= word. */
void log_exit_counts(const struct vcpu *v, bool tagged);
/* General register n (0 = RAX ... 15 = R15), RSP through the backend. */
u64 vcpu_gpr(struct vcpu *v, unsigned n);
void vcpu_set_gpr(struct vcpu *v, unsigned n, u64 value);

#endif
