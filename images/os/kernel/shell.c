// The shell: built-in commands for the file system and the machine; any
// other word runs the program of that name from bin/ in ring 3.
#include "kernel.h"
#include "syscall.h"
#include "x86.h"

#define LINE_MAX        200
#define MAX_WORDS       16

static void cmd_help(int argc, char **argv);

static void cmd_ls(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!fs_mounted()) {
        kprintf("ls: no file system\n");
        return;
    }
    for (int i = 0; i < fs_entries(); i++) {
        uint32_t size;
        const char *name = fs_entry(i, &size);
        if (name)
            kprintf("%s %u\n", name, size);
    }
}

static void cmd_cat(int argc, char **argv)
{
    static char buf[4096];
    if (argc != 2) {
        kprintf("usage: cat FILE\n");
        return;
    }
    int slot = fs_open(argv[1], 0);
    if (slot < 0) {
        kprintf("cat: %s: no such file\n", argv[1]);
        return;
    }
    int n;
    for (uint32_t off = 0; (n = fs_read(slot, off, buf, sizeof(buf))) > 0; off += (uint32_t)n)
        console_write(buf, (size_t)n);
    if (n < 0)
        kprintf("cat: %s: read error\n", argv[1]);
}

static void cmd_rm(int argc, char **argv)
{
    if (argc != 2) {
        kprintf("usage: rm FILE\n");
        return;
    }
    if (fs_unlink(argv[1]) < 0)
        kprintf("rm: %s: no such file\n", argv[1]);
}

static void cmd_uptime(int argc, char **argv)
{
    (void)argc, (void)argv;
    uint32_t t = ticks;
    kprintf("uptime %u ticks, %u.%02u seconds\n", t, t / TIMER_HZ, t % TIMER_HZ);
}

static void cmd_shutdown(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (fs_mounted() && fs_sync() < 0)
        kprintf("shutdown: could not write the file system back\n");
    kprintf("shutting down\n");
    power_off();
}

static const struct command {
    const char *name, *usage, *help;
    void (*run)(int argc, char **argv);
} commands[] = {
    { "help", "help", "list the commands", cmd_help },
    { "ls", "ls", "list the files and their sizes", cmd_ls },
    { "cat", "cat FILE", "print a file", cmd_cat },
    { "echo", "echo TEXT [> FILE | >> FILE]", "print text, or write or append it to a file", NULL },
    { "rm", "rm FILE", "delete a file", cmd_rm },
    { "uptime", "uptime", "timer ticks and seconds since boot", cmd_uptime },
    { "shutdown", "shutdown", "write everything back and power off", cmd_shutdown },
    { "bigfile", "bigfile MIB [NAME]", "write a MIB MiB file, read it back, print its CRC-32 (ring 3)", NULL },
    { "hello", "hello", "a greeting from ring 3", NULL },
};

static void cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        kprintf("  %s\n      %s\n", commands[i].usage, commands[i].help);
    kprintf("Any other word runs the program bin/WORD.\n");
}

static char *skip_spaces(char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
}

// echo works on the raw line, so that the text keeps its spacing.
static void cmd_echo(char *text)
{
    char *redirect = NULL;
    for (char *p = text; *p; p++) {
        if (*p == '>') {
            redirect = p;
            break;
        }
    }
    if (!redirect) {
        kprintf("%s\n", text);
        return;
    }
    bool append = redirect[1] == '>';
    char *name = skip_spaces(redirect + (append ? 2 : 1));
    *redirect = '\0';
    trim_end(text);
    trim_end(name);
    if (!*name) {
        kprintf("echo: missing file name\n");
        return;
    }
    int slot = fs_open(name, O_CREATE | (append ? 0 : O_TRUNCATE));
    if (slot < 0) {
        kprintf("echo: cannot open %s\n", name);
        return;
    }
    uint32_t off = append ? fs_size(slot) : 0, len = strlen(text);
    text[len] = '\n';   // the line's own NUL, no longer needed
    if (fs_write(slot, off, text, len + 1) != (int)len + 1 || fs_sync() < 0)
        kprintf("echo: write to %s failed\n", name);
}

static int split_words(char *line, char **words)
{
    int n = 0;
    for (char *p = skip_spaces(line); *p && n < MAX_WORDS; p = skip_spaces(p)) {
        words[n++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static void run_line(char *line)
{
    char *words[MAX_WORDS];
    line = skip_spaces(line);
    if (strncmp(line, "echo", 4) == 0 && (line[4] == ' ' || line[4] == '\0')) {
        cmd_echo(skip_spaces(line + 4));
        return;
    }
    int argc = split_words(line, words);
    if (argc == 0)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (commands[i].run && strcmp(words[0], commands[i].name) == 0) {
            commands[i].run(argc, words);
            return;
        }
    }
    int code;
    if (!proc_run(argc, words, &code))
        kprintf("%s: command not found\n", words[0]);
    else if (code != 0)
        kprintf("%s: exit code %d\n", words[0], code);
}

void shell_run(void)
{
    static char line[LINE_MAX];
    // The time stamp counter here is the machine's time from power-on to a usable shell
    // (under Bochs an exact instruction count): the lab's boot benchmark reads it.
    uint64_t tsc = rdtsc();
    kprintf("boot: tsc 0x%08x%08x\n", (uint32_t)(tsc >> 32), (uint32_t)tsc);
    kprintf("TeachOS shell ready\n");
    for (;;) {
        console_start_line();
        kprintf("lab$ ");
        console_readline(line, sizeof(line));
        run_line(line);
    }
}
