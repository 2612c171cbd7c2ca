// System calls (include/syscall.h): EAX = number, EBX/ECX/EDX = arguments,
// the result back in EAX. Pointers from the program are checked against its
// page tables before the kernel touches them.
#include "kernel.h"
#include "syscall.h"
#include "trap.h"
#include "x86.h"

#define MAX_FILES       8
#define FIRST_FILE_FD   3
#define PATH_MAX        64

struct open_file {
    bool used;
    int slot;           // TeachFS directory slot
    int flags;
    uint32_t offset;
};

static struct open_file files[MAX_FILES];

static bool user_ok(uint32_t addr, uint32_t len)
{
    return vm_user_range_ok(proc_page_directory(), addr, len ? len : 1);
}

// Copy a NUL-terminated string in from the program; false if it is unmapped or too long.
static bool copy_user_string(char *dst, uint32_t src, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (!user_ok(src + i, 1))
            return false;
        dst[i] = ((const char *)src)[i];
        if (!dst[i])
            return true;
    }
    return false;
}

static struct open_file *file_for(uint32_t fd)
{
    if (fd < FIRST_FILE_FD || fd >= FIRST_FILE_FD + MAX_FILES || !files[fd - FIRST_FILE_FD].used)
        return NULL;
    return &files[fd - FIRST_FILE_FD];
}

static int sys_write(uint32_t fd, uint32_t buf, uint32_t len)
{
    if (!user_ok(buf, len))
        return -1;
    if (fd == STDOUT || fd == STDERR) {
        console_write((const char *)buf, len);
        return (int)len;
    }
    struct open_file *f = file_for(fd);
    if (!f || !(f->flags & O_WRITE))
        return -1;
    if (f->flags & O_APPEND)
        f->offset = fs_size(f->slot);
    int n = fs_write(f->slot, f->offset, (const void *)buf, len);
    if (n > 0)
        f->offset += (uint32_t)n;
    return n;
}

static int sys_read(uint32_t fd, uint32_t buf, uint32_t len)
{
    if (!user_ok(buf, len))
        return -1;
    if (fd == STDIN) {
        // One line per call, with its newline, as a terminal would deliver it.
        static char line[256];
        if (len < 2)
            return -1;
        int n = console_readline(line, len - 1 < sizeof(line) ? (int)len - 1 : (int)sizeof(line));
        memcpy((void *)buf, line, (size_t)n);
        ((char *)buf)[n] = '\n';
        return n + 1;
    }
    struct open_file *f = file_for(fd);
    if (!f || !(f->flags & O_READ))
        return -1;
    int n = fs_read(f->slot, f->offset, (void *)buf, len);
    if (n > 0)
        f->offset += (uint32_t)n;
    return n;
}

static int sys_open(uint32_t path_addr, uint32_t flags)
{
    char path[PATH_MAX];
    if (!copy_user_string(path, path_addr, sizeof(path)))
        return -1;
    for (int i = 0; i < MAX_FILES; i++) {
        if (files[i].used)
            continue;
        int slot = fs_open(path, (int)flags);
        if (slot < 0)
            return -1;
        files[i] = (struct open_file){ true, slot, (int)flags, 0 };
        return FIRST_FILE_FD + i;
    }
    return -1;
}

static int sys_close(uint32_t fd)
{
    struct open_file *f = file_for(fd);
    if (!f)
        return -1;
    f->used = false;
    return (f->flags & O_WRITE) ? fs_sync() : 0;
}

static int sys_unlink(uint32_t path_addr)
{
    char path[PATH_MAX];
    if (!copy_user_string(path, path_addr, sizeof(path)))
        return -1;
    return fs_unlink(path);
}

// A program that ends without closing its files still gets them written back.
void syscall_close_all(void)
{
    for (uint32_t i = 0; i < MAX_FILES; i++)
        if (files[i].used)
            sys_close(FIRST_FILE_FD + i);
}

void syscall(struct trapframe *tf)
{
    sti();      // disk I/O inside a call sleeps until its IRQ
    int r;
    switch (tf->eax) {
    case SYS_EXIT:
        proc_exit((int)tf->ebx);
    case SYS_READ:
        r = sys_read(tf->ebx, tf->ecx, tf->edx);
        break;
    case SYS_WRITE:
        r = sys_write(tf->ebx, tf->ecx, tf->edx);
        break;
    case SYS_OPEN:
        r = sys_open(tf->ebx, tf->ecx);
        break;
    case SYS_CLOSE:
        r = sys_close(tf->ebx);
        break;
    case SYS_UNLINK:
        r = sys_unlink(tf->ebx);
        break;
    case SYS_TICKS:
        r = (int)ticks;
        break;
    case SYS_TICK_HZ:
        r = TIMER_HZ;
        break;
    default:
        r = -1;
    }
    tf->eax = (uint32_t)r;
}
