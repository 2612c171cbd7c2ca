// Running a user program: load its ELF32 file from TeachFS into a fresh
// address space, enter ring 3, and come back when it exits or faults.
// One program runs at a time; the shell waits for it.
#include "kernel.h"
#include "mmu.h"
#include "x86.h"

#define ELF_MAGIC       0x464C457Fu     // "\x7FELF"
#define ET_EXEC         2
#define EM_386          3
#define PT_LOAD         1
#define MAX_PHDRS       16
#define MAX_ARGS        16
#define KSTACK_SIZE     16384

struct elf_header {
    uint32_t magic;
    uint8_t ident[12];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

// The stack the CPU switches to when the program traps into the kernel.
static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));
static uint32_t *current_pd;

uint32_t *proc_page_directory(void)
{
    return current_pd;
}

static bool load_segments(int slot, const struct elf_header *eh)
{
    struct elf_phdr ph[MAX_PHDRS];
    if (eh->phnum > MAX_PHDRS || eh->phentsize != sizeof(struct elf_phdr))
        return false;
    uint32_t size = eh->phnum * sizeof(struct elf_phdr);
    if (fs_read(slot, eh->phoff, ph, size) != (int)size)
        return false;
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        if (ph[i].filesz > ph[i].memsz || !vm_map_user(current_pd, ph[i].vaddr, ph[i].memsz))
            return false;
        // The new address space is live, so the kernel can read straight
        // into the program's addresses; the rest of memsz stays zero (.bss).
        if (fs_read(slot, ph[i].offset, (void *)ph[i].vaddr, ph[i].filesz) != (int)ph[i].filesz)
            return false;
    }
    return true;
}

// Lay out argc and argv the way user/lib/crt0.S expects: ESP -> argc, argv.
static uint32_t push_arguments(int argc, char **argv)
{
    uint32_t sp = USER_TOP;
    uint32_t strings[MAX_ARGS + 1];
    for (int i = argc - 1; i >= 0; i--) {
        uint32_t len = strlen(argv[i]) + 1;
        sp -= len;
        memcpy((void *)sp, argv[i], len);
        strings[i] = sp;
    }
    strings[argc] = 0;
    sp &= ~15u;
    sp -= (argc + 1) * 4;
    memcpy((void *)sp, strings, (argc + 1) * 4);
    uint32_t argv_addr = sp;
    sp -= 8;
    sp &= ~15u;     // the program starts with an aligned stack
    ((uint32_t *)sp)[0] = (uint32_t)argc;
    ((uint32_t *)sp)[1] = argv_addr;
    return sp;
}

static bool has_slash(const char *s)
{
    for (; *s; s++)
        if (*s == '/')
            return true;
    return false;
}

// Program names are looked up as given, then under bin/.
static int find_program(const char *name)
{
    char path[64];
    int slot = -1;
    if (strlen(name) + 5 >= sizeof(path))
        return -1;
    strlcpy(path, "bin/", sizeof(path));
    strlcpy(path + 4, name, sizeof(path) - 4);
    if (has_slash(name))
        slot = fs_open(name, 0);
    if (slot < 0)
        slot = fs_open(path, 0);
    return slot;
}

bool proc_run(int argc, char **argv, int *exit_code)
{
    struct elf_header eh;
    int slot = find_program(argv[0]);
    if (slot < 0)
        return false;
    *exit_code = -1;
    if (argc > MAX_ARGS) {
        kprintf("%s: too many arguments\n", argv[0]);
        return true;
    }
    if (fs_read(slot, 0, &eh, sizeof(eh)) != sizeof(eh) || eh.magic != ELF_MAGIC ||
        eh.type != ET_EXEC || eh.machine != EM_386) {
        kprintf("%s: not an ELF32 i386 executable\n", argv[0]);
        return true;
    }
    current_pd = vm_create();
    if (!current_pd)
        return true;
    vm_switch(current_pd);
    int code = -1;
    if (!load_segments(slot, &eh) ||
        !vm_map_user(current_pd, USER_TOP - USER_STACK_SIZE, USER_STACK_SIZE)) {
        kprintf("%s: cannot load (bad segments or out of memory)\n", argv[0]);
    } else {
        uint32_t sp = push_arguments(argc, argv);
        tss_set_kernel_stack((uint32_t)(kstack + KSTACK_SIZE));
        code = user_run(eh.entry, sp);
        sti();      // user_return came here with interrupts off
    }
    syscall_close_all();
    vm_switch(NULL);
    vm_destroy(current_pd);
    current_pd = NULL;
    *exit_code = code;
    return true;
}

void proc_exit(int code)
{
    cli();
    user_return(code);
}
