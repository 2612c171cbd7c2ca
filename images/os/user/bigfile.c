// bigfile MIB [NAME]: write MIB MiB of a fixed pattern to NAME, read it back,
// check every byte, and print `checksum NAME SIZE CRC32` (CRC-32/IEEE, as
// Python's zlib.crc32) so that the host can compute the same value:
//
//   data = bytes((i ^ (i >> 8) ^ (i >> 16)) & 0xFF for i in range(size))
//   print(f"{zlib.crc32(data):08x}")
#include "ulib.h"

#define CHUNK   32768
#define MIB     (1024 * 1024)

static uint8_t buf[CHUNK];
static uint32_t crc_table[256];

// The time stamp counter: the same clock directly and under a hypervisor that
// does not trap RDTSC, finer than the 100 Hz tick (an instruction count on Bochs).
static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint8_t pattern(uint32_t i)
{
    return (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
}

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

// Pass the previous return value back in; start with 0.
static uint32_t crc_update(uint32_t crc, const uint8_t *p, uint32_t len)
{
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static int write_file(const char *name, uint32_t size)
{
    int fd = open(name, O_WRITE | O_CREATE | O_TRUNCATE);
    if (fd < 0) {
        printf("bigfile: cannot create %s\n", name);
        return -1;
    }
    for (uint32_t off = 0; off < size; off += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++)
            buf[i] = pattern(off + i);
        if (write(fd, buf, CHUNK) != CHUNK) {
            printf("bigfile: write failed at offset %u (disk full?)\n", off);
            close(fd);
            return -1;
        }
    }
    return close(fd);
}

static int read_file(const char *name, uint32_t size, uint32_t *crc)
{
    int fd = open(name, O_READ);
    if (fd < 0) {
        printf("bigfile: cannot open %s\n", name);
        return -1;
    }
    uint32_t off = 0;
    int n;
    *crc = 0;
    while ((n = read(fd, buf, CHUNK)) > 0) {
        for (int i = 0; i < n; i++) {
            if (buf[i] != pattern(off + (uint32_t)i)) {
                printf("bigfile: byte %u reads %x, expected %x\n", off + (uint32_t)i,
                       buf[i], pattern(off + (uint32_t)i));
                close(fd);
                return -1;
            }
        }
        *crc = crc_update(*crc, buf, (uint32_t)n);
        off += (uint32_t)n;
    }
    close(fd);
    if (n < 0 || off != size) {
        printf("bigfile: read %u bytes back, expected %u\n", off, size);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || atoi(argv[1]) <= 0) {
        printf("usage: bigfile MIB [NAME]\n");
        return 2;
    }
    const char *name = argc == 3 ? argv[2] : "bigfile.bin";
    uint32_t size = (uint32_t)atoi(argv[1]) * MIB;
    crc_init();
    uint32_t crc, start = ticks();
    uint64_t tsc0 = rdtsc();
    if (write_file(name, size) < 0)
        return 1;
    uint32_t written = ticks();
    uint64_t tsc1 = rdtsc();
    if (read_file(name, size, &crc) < 0)
        return 1;
    uint64_t w = tsc1 - tsc0, r = rdtsc() - tsc1;
    uint32_t hz = tick_hz();
    printf("bigfile: wrote %u bytes in %u ticks, read them back in %u ticks (%u Hz)\n",
           size, written - start, ticks() - written, hz);
    printf("bigfile: tsc write 0x%08x%08x read 0x%08x%08x\n", (uint32_t)(w >> 32),
           (uint32_t)w, (uint32_t)(r >> 32), (uint32_t)r);
    printf("checksum %s %u %08x\n", name, size, crc);
    return 0;
}
