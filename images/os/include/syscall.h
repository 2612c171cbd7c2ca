// System call numbers and open flags, shared by the kernel and user programs.
//
// A user program enters the kernel with `int $0x80`: EAX = number, arguments
// in EBX, ECX, EDX (the Linux i386 convention); the result comes back in EAX,
// negative on error.
#ifndef SYSCALL_H
#define SYSCALL_H

#define SYSCALL_VECTOR  0x80

#define SYS_EXIT        1   // (code)                  never returns
#define SYS_READ        2   // (fd, buf, len)          fd 0 reads one line of console input
#define SYS_WRITE       3   // (fd, buf, len)          fd 1 and 2 write to the console
#define SYS_OPEN        4   // (path, flags)           returns a file descriptor
#define SYS_CLOSE       5   // (fd)                    writes the file system's metadata back
#define SYS_UNLINK      6   // (path)
#define SYS_TICKS       7   // ()                      timer ticks since boot
#define SYS_TICK_HZ     8   // ()                      timer ticks per second

#define O_READ          0x01
#define O_WRITE         0x02
#define O_CREATE        0x04    // create the file if it does not exist
#define O_TRUNCATE      0x08    // empty the file first
#define O_APPEND        0x10    // every write goes to the end of the file

#define STDIN           0
#define STDOUT          1
#define STDERR          2

#endif
