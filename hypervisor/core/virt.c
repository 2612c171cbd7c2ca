/*
 * Choosing the virtualization backend (CONTRACT.md 2, `backend=`) and reporting it
 * with the `@lab virt` or `@lab novirt` marker (CONTRACT.md 3). Everything vendor
 * specific is behind struct virt_ops.
 */
#include "cpu.h"
#include "log.h"
#include "run_end.h"
#include "virt.h"

static __printf(1, 2) __noreturn void novirt(const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_printf("@lab novirt msg=\"%s\"\n", msg);
	run_end(END_NOVIRT);
}

static const struct virt_ops *choose(enum backend_choice choice)
{
	const char *why_vmx = NULL, *why_svm = NULL;

	if (choice != BACKEND_AUTO) {
		const struct virt_ops *asked = choice == BACKEND_VMX ? &vmx_ops : &svm_ops;
		const char *why = NULL;

		if (asked->probe(&why))
			return asked;
		novirt("backend=%s asked for, but %s", asked->name, why);
	}
	if (vmx_ops.probe(&why_vmx))
		return &vmx_ops;
	if (svm_ops.probe(&why_svm))
		return &svm_ops;
	log_printf("virt: vmx: %s\n", why_vmx);
	log_printf("virt: svm: %s\n", why_svm);
	if (!cpu_has_vmx() && !cpu_has_svm())
		novirt("the CPU offers neither VMX nor SVM");
	/* The CPU has one, but it is unusable: say why. */
	novirt("%s", cpu_has_vmx() ? why_vmx : why_svm);
}

const struct virt_ops *virt_init(enum backend_choice choice)
{
	const struct virt_ops *ops = choose(choice);
	const char *why = NULL;
	char words[128];

	log_printf("virt: using %s\n", ops->name);
	if (!ops->enable(&why))
		panic("enabling %s failed: %s", ops->name, why);
	ops->report_features(words, sizeof(words));
	log_printf("@lab virt backend=%s %s\n", ops->name, words);
	return ops;
}
