/* main.c - tongxin: the community office client. All of it lives in tx_client. */
#include "cli.h"

int
main(int argc, char **argv)
{
	return tongxin_main(argc, argv);
}
