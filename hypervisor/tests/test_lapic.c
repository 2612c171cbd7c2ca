/* Host unit tests for the minimal local APIC (devices/lapic.c): what a guest reads back. */
#include "types.h"
#include "lapic.h"
#include "check.h"

static struct lapic apic;

static void test_reset(void)
{
	lapic_reset(&apic);
	CHECK(lapic_read(&apic, LAPIC_ID, 4) == 0, "reset: APIC ID 0 (the bootstrap CPU)");
	CHECK(lapic_read(&apic, LAPIC_VERSION, 4) == 0x00050014,
	      "version: integrated APIC 0x14, six LVT entries");
	CHECK(lapic_read(&apic, LAPIC_DFR, 4) == 0xffffffff, "reset: DFR all ones (flat model)");
	CHECK(lapic_read(&apic, LAPIC_SVR, 4) == 0xff, "reset: SVR 0xFF, software-disabled");
	CHECK(lapic_read(&apic, LAPIC_LVT_TIMER, 4) == LAPIC_LVT_MASKED &&
	      lapic_read(&apic, LAPIC_LVT_ERROR, 4) == LAPIC_LVT_MASKED,
	      "reset: every LVT entry masked");
}

static void test_registers_hold_what_is_written(void)
{
	lapic_reset(&apic);
	lapic_write(&apic, LAPIC_SVR, 4, 0x1ff);
	CHECK(lapic_read(&apic, LAPIC_SVR, 4) == 0x1ff, "SVR 0x1FF (enabled, vector 0xFF) reads back");
	lapic_write(&apic, LAPIC_TPR, 4, 0xffffff37);
	CHECK(lapic_read(&apic, LAPIC_TPR, 4) == 0x37, "TPR keeps bits 7:0");
	CHECK(lapic_read(&apic, LAPIC_PPR, 4) == 0x30, "PPR follows TPR's class with nothing in service");
	lapic_write(&apic, LAPIC_ID, 4, 0x05123456);
	CHECK(lapic_read(&apic, LAPIC_ID, 4) == 0x05000000, "ID keeps bits 31:24");
	lapic_write(&apic, LAPIC_LVT_TIMER + 0x30, 4, 0x0001a7ff | 0x1000);
	CHECK(lapic_read(&apic, LAPIC_LVT_TIMER + 0x30, 4) == 0x0001a7ff,
	      "LINT0: delivery status (bit 12) is read-only");
	lapic_write(&apic, LAPIC_TIMER_INITIAL, 4, 123456);
	CHECK(lapic_read(&apic, LAPIC_TIMER_INITIAL, 4) == 123456 &&
	      lapic_read(&apic, LAPIC_TIMER_CURRENT, 4) == 0,
	      "the timer's initial count reads back; it never counts (current 0)");
	lapic_write(&apic, LAPIC_TIMER_DIVIDE, 4, 0xff);
	CHECK(lapic_read(&apic, LAPIC_TIMER_DIVIDE, 4) == 0xb, "divide configuration: bits 0, 1, 3");
}

static void test_icr_and_odd_accesses(void)
{
	lapic_reset(&apic);
	lapic_write(&apic, LAPIC_ICR_HIGH, 4, 0x01000000);
	lapic_write(&apic, LAPIC_ICR_LOW, 4, 0x000c4500 | 0x1000);
	CHECK(lapic_read(&apic, LAPIC_ICR_LOW, 4) == 0x000c4500 &&
	      lapic_read(&apic, LAPIC_ICR_HIGH, 4) == 0x01000000,
	      "ICR holds the IPI asked for, delivery status idle");
	CHECK(apic.ipis_ignored == 1, "the IPI is counted as not delivered");
	lapic_write(&apic, LAPIC_EOI, 4, 0);
	CHECK(lapic_read(&apic, LAPIC_EOI, 4) == 0 && lapic_read(&apic, 0x100, 4) == 0 &&
	      lapic_read(&apic, 0x200, 4) == 0, "EOI, ISR and IRR read 0");
	lapic_write(&apic, LAPIC_TPR + 4, 4, 0x55);
	lapic_write(&apic, LAPIC_TPR, 1, 0x66);
	CHECK(lapic_read(&apic, LAPIC_TPR, 4) == 0 && lapic_read(&apic, LAPIC_TPR, 2) == 0,
	      "a misaligned or narrow access is ignored and reads 0");
}

int main(void)
{
	test_reset();
	test_registers_hold_what_is_written();
	test_icr_and_odd_accesses();
	return check_done();
}
