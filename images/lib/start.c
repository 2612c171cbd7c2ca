// From entry.S to the test's main, and from main's return to exit.
#include "console.h"
#include "exception.h"
#include "exit.h"
#include "multiboot.h"

void lib_start(uint32_t loader_magic, struct multiboot_info *info)
    __attribute__((noreturn));

void lib_start(uint32_t loader_magic, struct multiboot_info *info)
{
    console_init();
    exceptions_init();
    if (loader_magic != MULTIBOOT_LOADER_MAGIC) {
        printf("warning: loader magic 0x%08x, not a Multiboot loader\n", loader_magic);
        info = 0;
    }
    exit(main(info));
}
