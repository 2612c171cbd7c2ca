/* Host unit tests for the port 0xE9 debug console (devices/debugcon.c). */
#include "types.h"
#include "debugcon.h"
#include "check.h"

static struct debugcon con;
static u8 sent[16];
static int nsent, ctx_ok;

static void tx(void *ctx, u8 byte)
{
	ctx_ok += ctx == &nsent;
	sent[nsent++ % sizeof(sent)] = byte;
}

int main(void)
{
	debugcon_init(&con, tx, &nsent);
	CHECK(debugcon_read(&con, 0xE9, 1) == 0xE9, "a read answers 0xE9 (how guests detect it)");
	CHECK(nsent == 0, "a read sends nothing");

	debugcon_write(&con, 0xE9, 1, 'O');
	debugcon_write(&con, 0xE9, 1, 'K');
	debugcon_write(&con, 0xE9, 1, '\n');
	CHECK(nsent == 3 && sent[0] == 'O' && sent[1] == 'K' && sent[2] == '\n',
	      "bytes written go to tx() in order");
	CHECK(ctx_ok == 3, "tx() gets its ctx");
	debugcon_write(&con, 0xE9, 1, 0x00);
	debugcon_write(&con, 0xE9, 1, 0xFF);
	CHECK(nsent == 5 && sent[3] == 0x00 && sent[4] == 0xFF, "0x00 and 0xFF go out unchanged");
	debugcon_write(&con, 0xE9, 2, 0x4241);
	CHECK(nsent == 6 && sent[5] == 0x41, "a 16-bit write sends its low byte only");
	debugcon_write(&con, 0xE9, 4, 0x44434231);
	CHECK(nsent == 7 && sent[6] == 0x31, "a 32-bit write sends its low byte only");
	debugcon_write(&con, 0xE9, 1, 0x1E5);
	CHECK(nsent == 8 && sent[7] == 0xE5, "bits above the byte are dropped (0x1E5 sends 0xE5)");
	CHECK(debugcon_read(&con, 0xE9, 1) == 0xE9 && nsent == 8, "reads stay 0xE9 after writes");
	return check_done();
}
