// mbinfo: what the boot loader's Multiboot information block says (Multiboot 0.6.96,
// section 3.3). Booted directly, it checks that the loader gives what QEMU's -kernel loader
// and the lab's mbload (Bochs) give: memory sizes and a memory map, and no VBE or
// framebuffer information (flags 11 and 12), which would put a kernel such as SWEB on a
// VESA console. It prints the command line, the boot loader's name and each module (its
// string, size and first line) for the caller.
#include "console.h"
#include "multiboot.h"
#include "report.h"

#define MB_INFO_BOOT_LOADER_NAME (1u << 9)
#define MB_INFO_VBE              (1u << 11)
#define MB_INFO_FRAMEBUFFER      (1u << 12)
#define BOOT_LOADER_NAME_FIELD   16    // 32-bit words into the block (offset 64)
#define MEMORY_AVAILABLE         1
#define MIB                      0x100000ull

struct mmap_entry {
    uint32_t size;      // of the rest of the entry
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));

struct module {
    uint32_t start, end, string, reserved;
};

// Each module: its string, size and first printable line; true when every one is
// page-aligned (the lab's loaders align them) and ends below END.
static bool print_modules(const struct multiboot_info *info, uint64_t end)
{
    bool ok = true;
    if (!(info->flags & MULTIBOOT_INFO_MODULES))
        return true;
    const struct module *mods = (const void *)info->mods_addr;
    for (uint32_t i = 0; i < info->mods_count; i++) {
        char first[41];
        uint32_t n = 0, size = mods[i].end - mods[i].start;
        const char *text = (const char *)mods[i].start;
        while (n < size && n < 40 && text[n] >= ' ' && text[n] <= '~') {
            first[n] = text[n];
            n++;
        }
        first[n] = '\0';
        printf("module %u: '%s' %u bytes at 0x%x: %s\n", i,
               mods[i].string ? (const char *)mods[i].string : "", size, mods[i].start, first);
        ok = ok && (mods[i].start & 0xfff) == 0 && mods[i].end >= mods[i].start &&
             mods[i].end <= end;
    }
    return ok;
}

// The end of the available region that holds 1 MiB, or 0 when the map has none.
static uint64_t ram_above_1mib_end(const struct multiboot_info *info)
{
    uint32_t off = 0;
    while (off + 24 <= info->mmap_length) {
        const struct mmap_entry *e = (const void *)(info->mmap_addr + off);
        if (e->type == MEMORY_AVAILABLE && e->addr <= MIB && MIB < e->addr + e->len)
            return e->addr + e->len;
        off += e->size + 4;
    }
    return 0;
}

int main(struct multiboot_info *info)
{
    if (!report("loaded by a Multiboot loader", info != 0))
        return report_summary();
    uint32_t flags = info->flags;
    printf("flags 0x%08x mem_lower %u KiB mem_upper %u KiB\n", flags, info->mem_lower,
           info->mem_upper);
    printf("cmdline: '%s'\n", flags & MULTIBOOT_INFO_CMDLINE ? (const char *)info->cmdline
                                                             : "(none)");
    printf("boot loader: '%s'\n", flags & MB_INFO_BOOT_LOADER_NAME
           ? (const char *)((const uint32_t *)info)[BOOT_LOADER_NAME_FIELD] : "(none)");

    report("no VBE information (flag 11 clear)", !(flags & MB_INFO_VBE));
    report("no framebuffer information (flag 12 clear)", !(flags & MB_INFO_FRAMEBUFFER));
    report("modules (flag 3) page-aligned, inside RAM",
           print_modules(info, MIB + ((uint64_t)info->mem_upper << 10)));
    // mem_lower: at most 640 KiB, and the lab's machines have well over 512 KiB there.
    report("memory sizes (flag 0), mem_lower in 512-640 KiB",
           (flags & MULTIBOOT_INFO_MEMORY) && info->mem_lower >= 512 && info->mem_lower <= 640);
    // mem_upper: at least 3 MiB (the lab's smallest guest has 4 MiB), below 4 GiB.
    report("mem_upper in 3 MiB-4 GiB",
           (flags & MULTIBOOT_INFO_MEMORY) && info->mem_upper >= 3 * 1024 &&
           info->mem_upper < 4u * 1024 * 1024);
    if (report("a memory map (flag 6)", flags & MULTIBOOT_INFO_MMAP)) {
        uint64_t end = ram_above_1mib_end(info);
        uint64_t upper_end = MIB + ((uint64_t)info->mem_upper << 10);
        printf("RAM at 1 MiB ends at 0x%llx; mem_upper says 0x%llx\n", end, upper_end);
        // Loaders count mem_upper from the map (GRUB) or from the RAM size (QEMU, whose
        // BIOS reserves a little at the top of the map): they agree within 1 MiB.
        report("the memory map has RAM at 1 MiB, as mem_upper says",
               end > MIB && end <= upper_end + MIB && upper_end <= end + MIB);
    }
    return report_summary();
}
