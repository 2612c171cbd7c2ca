// Ending a test guest with a verdict.
#ifndef EXIT_H
#define EXIT_H

// Print "EXIT: code=CODE", then end the run: hypercall 0 under the lab
// hypervisor, otherwise the emulator's power-off and debug-exit ports.
void exit(int code) __attribute__((noreturn));

#endif
