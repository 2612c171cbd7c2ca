// The smallest user program: proves ring 3 and the write system call work.
#include "ulib.h"

int main(int argc, char **argv)
{
    (void)argc;
    unsigned cs;
    asm("mov %%cs, %0" : "=r"(cs));
    printf("Hello from ring %u! I am %s, started at tick %u.\n", cs & 3, argv[0], ticks());
    return 0;
}
