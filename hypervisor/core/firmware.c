/*
 * `bios` (CONTRACT.md 2): the guest starts with the state a PC's BIOS leaves behind when
 * it hands over to a boot loader, for guests that go back to real mode and expect it
 * (kvm-unit-tests' realmode: its STI; HLT waits for the BIOS's timer tick).
 *
 * - A real-mode interrupt table (0-0x3FF) whose every vector has a handler in a ROM page
 *   at F000:0000: a lone IRET at F000:FF53, where the IBM PC BIOS kept its dummy handler;
 *   the timer's INT 08h at F000:FEA5 (the IBM PC BIOS's address), which counts ticks in
 *   the BIOS data area's dword at 0x46C and sends the master PIC an EOI; the other IRQs'
 *   vectors (09h-0Fh, 70h-77h) send their EOIs and return.
 * - The PIC pair at vectors 08h/70h (as without `bios`), IRQ 0 and the cascade IRQ 2 open.
 * - The PIT's counter 0 in mode 3 with the longest count, 65536: IRQ 0 at 18.2 Hz.
 * Without `bios` none of this is there: the PIC's lines are all masked and the PIT does
 * not count until the guest programs them (CONTRACT.md 7).
 */
#include "firmware.h"
#include "irq.h"
#include "lib.h"
#include "log.h"
#include "vm.h"

#define IVT_VECTORS 256
#define ROM_SEGMENT 0xF000
#define ROM_PAGE 0xFF000ULL	/* the handlers' page, F000:F000 (one page: dedup maps by page) */
#define ROM_PAGE_OFFSET 0xF000
#define IRET_OFFSET 0xFF53
#define TIMER_OFFSET 0xFEA5
#define MASTER_EOI_OFFSET 0xFF00
#define SLAVE_EOI_OFFSET 0xFF10
#define PIC_MASTER_VECTOR 0x08
#define PIC_SLAVE_VECTOR 0x70
#define BIOS_IMR_MASTER 0xFA	/* IRQ 0 (timer) and IRQ 2 (cascade) open */
#define BIOS_IMR_SLAVE 0xFF

/* push ds; push ax; xor ax,ax; mov ds,ax; inc dword [0x46C]; mov al,20h; out 20h,al;
 * pop ax; pop ds; iret */
static const u8 timer_handler[] = { 0x1E, 0x50, 0x31, 0xC0, 0x8E, 0xD8, 0x66, 0xFF, 0x06,
				    0x6C, 0x04, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0x1F, 0xCF };
/* push ax; mov al,20h; out 20h,al; pop ax; iret */
static const u8 master_eoi[] = { 0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF };
/* push ax; mov al,20h; out 0A0h,al; out 20h,al; pop ax; iret */
static const u8 slave_eoi[] = { 0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF };

static u32 far_pointer(u16 offset)
{
	return (u32)ROM_SEGMENT << 16 | offset;
}

bool firmware_pc_state(struct vm *vm)
{
	u32 *ivt = vm_gpa_to_hva_write(vm, 0, IVT_VECTORS * 4);
	u8 *page = vm_gpa_to_hva_write(vm, ROM_PAGE, PAGE_SIZE), *rom = page - ROM_PAGE_OFFSET;

	if (!ivt || !page) {
		log_printf("bios: guest RAM does not hold the interrupt table and ROM page\n");
		return false;
	}
	memcpy(rom + TIMER_OFFSET, timer_handler, sizeof(timer_handler));
	memcpy(rom + MASTER_EOI_OFFSET, master_eoi, sizeof(master_eoi));
	memcpy(rom + SLAVE_EOI_OFFSET, slave_eoi, sizeof(slave_eoi));
	rom[IRET_OFFSET] = 0xCF;
	for (int v = 0; v < IVT_VECTORS; v++)
		ivt[v] = far_pointer(IRET_OFFSET);
	ivt[PIC_MASTER_VECTOR] = far_pointer(TIMER_OFFSET);
	for (int irq = 1; irq < 8; irq++) {
		ivt[PIC_MASTER_VECTOR + irq] = far_pointer(MASTER_EOI_OFFSET);
		ivt[PIC_SLAVE_VECTOR + irq] = far_pointer(SLAVE_EOI_OFFSET);
	}
	ivt[PIC_SLAVE_VECTOR] = far_pointer(SLAVE_EOI_OFFSET);
	irq_bios_state(vm, BIOS_IMR_MASTER, BIOS_IMR_SLAVE);
	log_printf("bios: interrupt table, ROM handlers at F000, PIC IRQ 0 open, PIT at 18.2 Hz\n");
	return true;
}
