/* main.c - tongxind: the street's Tongxin server. All of it lives in tx_server. */
#include "server.h"

int
main(int argc, char **argv)
{
	return tongxind_main(argc, argv);
}
